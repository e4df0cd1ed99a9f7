//! Reading `-d` data and stdin; hex text in and out.

use std::io::{IsTerminal, Read};

use anycall_idl::{MethodDescriptor, Pool, ServiceDescriptor};
use anyhow::{Context as _, anyhow};

use super::CliError;

/// The server address when none is given (Kitex's default port).
pub(crate) const DEFAULT_ADDR: &str = "127.0.0.1:8888";

/// `[ADDR] SERVICE/METHOD` from the positional arguments: the address
/// (default [`DEFAULT_ADDR`]), the service and the method.
pub(crate) fn addr_and_method(positional: &[String]) -> Result<(String, String, String), CliError> {
    let (addr, target) = match positional {
        [target] => (DEFAULT_ADDR, target),
        [addr, target] => (addr.as_str(), target),
        _ => return Err(CliError::usage(anyhow!("expected [ADDR] SERVICE/METHOD"))),
    };
    let Some((service, method)) = target.split_once('/') else {
        return Err(CliError::usage(anyhow!(
            "expected SERVICE/METHOD, found {target:?} (see `anycall list --idl FILE`)"
        )));
    };
    Ok((addr.to_owned(), service.to_owned(), method.to_owned()))
}

/// A service in `pool` and one of its methods (declared or inherited), or
/// an error naming the one missing. The service is the one named, not the
/// one an inherited method is declared in.
pub(crate) fn find_method<'p>(
    pool: &'p Pool,
    service: &str,
    method: &str,
) -> anyhow::Result<(ServiceDescriptor<'p>, MethodDescriptor<'p>)> {
    let svc = pool.service(service).ok_or_else(|| {
        let names: Vec<String> = pool.services().map(|s| s.full_name()).collect();
        let hint = hint(service, names.iter().map(String::as_str));
        anyhow!("the IDL has no service `{service}`{hint}")
    })?;
    let m = svc.method(method).ok_or_else(|| {
        let hint = hint(method, svc.methods().map(|m| m.name()));
        anyhow!("service `{service}` has no method `{method}`{hint}")
    })?;
    Ok((svc, m))
}

/// ` (did you mean `x`?)`, or nothing.
pub(crate) fn hint<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    anycall_idl::did_you_mean(name, candidates)
        .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

/// Reads `-d` data: inline text, `@FILE`, or `@-` (stdin). `None` reads stdin.
pub(crate) fn read_data(data: Option<&str>) -> anyhow::Result<Vec<u8>> {
    match data {
        Some("@-") | None => read_stdin(),
        Some(d) => match d.strip_prefix('@') {
            Some(path) => std::fs::read(path).with_context(|| format!("cannot read {path}")),
            None => Ok(d.as_bytes().to_vec()),
        },
    }
}

/// Reads all of stdin.
pub(crate) fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .context("cannot read stdin")?;
    Ok(buf)
}

/// True when stdout is a terminal.
pub(crate) fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

/// Lowercase hex, 16 bytes a line.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(if i % 16 == 0 { '\n' } else { ' ' });
        }
        out.push_str(&format!("{b:02x}"));
    }
    out.push('\n');
    out
}

/// Parses hex text; whitespace is ignored.
pub(crate) fn from_hex(text: &[u8]) -> anyhow::Result<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    anyhow::ensure!(
        digits.len().is_multiple_of(2),
        "hex input has an odd number of digits"
    );
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let s = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(s, 16).with_context(|| format!("invalid hex {s:?} at byte {i}"))
        })
        .collect()
}

/// `-d`'s JSON values as they are read — inline text, `@FILE`, `@-` (and
/// stdin without `-d`) — from a reader thread, each made into a request by
/// `convert(value text, 1-based index)`; the first bad one ends the stream.
pub(crate) fn json_values<T: Send + 'static>(
    data: Option<&str>,
    convert: impl Fn(String, usize) -> anyhow::Result<T> + Send + 'static,
) -> Result<tokio::sync::mpsc::Receiver<anyhow::Result<T>>, CliError> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let reader: Box<dyn Read + Send> = match data {
        Some("@-") | None => Box::new(std::io::stdin()),
        Some(d) => match d.strip_prefix('@') {
            Some(path) => {
                Box::new(std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?)
            }
            None => Box::new(std::io::Cursor::new(d.as_bytes().to_vec())),
        },
    };
    std::thread::spawn(move || {
        let values = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader))
            .into_iter::<serde_json::Value>();
        for (i, value) in values.enumerate() {
            let item = value
                .with_context(|| format!("request #{} is not JSON", i + 1))
                .and_then(|v| convert(v.to_string(), i + 1));
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                break;
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_method_keeps_the_named_service_for_inherited_methods() {
        let pool = Pool::from_source(
            "s.thrift",
            "service Base { void Ping() }\nservice Child extends Base { i32 Add(1: i32 a) }",
        )
        .unwrap();
        let (svc, m) = find_method(&pool, "Child", "Ping").unwrap();
        assert_eq!(svc.name(), "Child");
        assert_eq!(m.name(), "Ping");
        assert_eq!(m.service().name(), "Base");
        let err = find_method(&pool, "Child", "Nope").unwrap_err();
        assert_eq!(err.to_string(), "service `Child` has no method `Nope`");
        let err = find_method(&pool, "Child", "Pnig").unwrap_err();
        assert_eq!(
            err.to_string(),
            "service `Child` has no method `Pnig` (did you mean `Ping`?)"
        );
        let err = find_method(&pool, "Chld", "Ping").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the IDL has no service `Chld` (did you mean `Child`?)"
        );
        let err = find_method(&pool, "Other", "Ping").unwrap_err();
        assert_eq!(err.to_string(), "the IDL has no service `Other`");
    }

    #[test]
    fn addr_and_method_default_the_address() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (addr, s, m) = addr_and_method(&args(&["S/M"])).unwrap();
        assert_eq!(
            (addr.as_str(), s.as_str(), m.as_str()),
            (DEFAULT_ADDR, "S", "M")
        );
        let (addr, ..) = addr_and_method(&args(&["h:1", "S/M"])).unwrap();
        assert_eq!(addr, "h:1");
        assert!(addr_and_method(&args(&["h:1", "SM"])).is_err());
        assert!(addr_and_method(&args(&[])).is_err());
    }
}
