//! Reading `-d` data and stdin; hex text in and out.

use std::io::{IsTerminal, Read};

use anycall_idl::{MethodDescriptor, Pool};
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

/// A method of a service in `pool`, or an error naming the one missing.
pub(crate) fn find_method<'p>(
    pool: &'p Pool,
    service: &str,
    method: &str,
) -> anyhow::Result<MethodDescriptor<'p>> {
    pool.service(service)
        .ok_or_else(|| anyhow!("the IDL has no service `{service}`"))?
        .method(method)
        .ok_or_else(|| anyhow!("service `{service}` has no method `{method}`"))
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
