//! `anycall describe` and `anycall list`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anycall_idl::{Loader, Pool};

use super::CliError;
use super::args::{DescribeArgs, IdlArgs, ListArgs, Output};
use crate::describe::{self, Description, Target};

pub(crate) fn load(idl: &IdlArgs) -> Result<Pool, CliError> {
    load_idl(&idl.idl, &idl.include)
}

/// Loads the IDL file `idl`, searching `include` for its includes.
pub(crate) fn load_idl(idl: &Path, include: &[PathBuf]) -> Result<Pool, CliError> {
    let pool = Loader::new()
        .include_dirs(include.iter().cloned())
        .load(idl.to_string_lossy())
        .map_err(|e| CliError::from(anyhow::anyhow!("{e}")))?;
    for w in pool.warnings() {
        eprintln!("{w}");
    }
    Ok(pool)
}

pub(crate) async fn describe(a: &DescribeArgs) -> Result<(), CliError> {
    let Some(idl) = &a.idl.idl else {
        #[cfg(feature = "grpc")]
        if let Some(addr) = &a.target {
            return super::grpc::describe_remote(addr, a.symbol.as_deref(), a.output).await;
        }
        return Err(CliError::usage(anyhow::anyhow!(
            "--idl FILE is required (or a gRPC server's ADDR)"
        )));
    };
    #[cfg(feature = "grpc")]
    if super::grpc::is_proto(idl) {
        return super::grpc::describe_proto(idl, &a.idl.include, a.target.as_deref(), a.output);
    }
    let pool = load_idl(idl, &a.idl.include)?;
    let target = a.target.as_deref().map_or(Target::All, Target::Named);
    let d = describe::describe(&pool, target)?;
    match a.output {
        Output::Json => super::print_out(&format!("{}\n", serde_json::to_string_pretty(&d)?))?,
        Output::Text => super::print_out(&render_text(&d))?,
    }
    Ok(())
}

pub(crate) async fn list(a: &ListArgs) -> Result<(), CliError> {
    let Some(idl) = &a.idl.idl else {
        #[cfg(feature = "grpc")]
        if let Some(addr) = &a.addr {
            return super::grpc::list_remote(addr).await;
        }
        return Err(CliError::usage(anyhow::anyhow!(
            "--idl FILE is required (or a gRPC server's ADDR)"
        )));
    };
    #[cfg(feature = "grpc")]
    if super::grpc::is_proto(idl) {
        return super::grpc::list_proto(idl, &a.idl.include);
    }
    let pool = load_idl(idl, &a.idl.include)?;
    let mut out = String::new();
    for s in pool.services() {
        for m in s.methods() {
            let _ = writeln!(out, "{}/{}", s.full_name(), m.name());
        }
    }
    super::print_out(&out)?;
    Ok(())
}

/// Annotations as IDL writes them, ` (k = "v", flag)`, or nothing.
fn annotations_text(a: &serde_json::Value) -> String {
    let Some(m) = a.as_object() else {
        return String::new();
    };
    let items: Vec<String> = m
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => {
                format!("{k} = {}", serde_json::Value::from(s.as_str()))
            }
            _ => k.clone(),
        })
        .collect();
    format!(" ({})", items.join(", "))
}

/// An IDL-like summary.
pub(crate) fn render_text(d: &Description) -> String {
    let mut out = String::new();
    for s in &d.services {
        let _ = write!(out, "service {}", s.name);
        if let Some(e) = &s.extends {
            let _ = write!(out, " extends {e}");
        }
        out.push_str(" {\n");
        for m in &s.methods {
            out.push_str("  ");
            if m.oneway {
                out.push_str("oneway ");
            }
            let params: Vec<String> = m
                .params
                .iter()
                .map(|p| {
                    let req = match p.requiredness {
                        Some(r @ ("required" | "optional")) => format!("{r} "),
                        _ => String::new(),
                    };
                    let mut one = format!("{}: {req}{} {}", p.id, p.ty, p.name);
                    if !p.default.is_null() {
                        let _ = write!(one, " = {}", p.default);
                    }
                    one.push_str(&annotations_text(&p.annotations));
                    one
                })
                .collect();
            let _ = write!(out, "{} {}({})", m.returns, m.name, params.join(", "));
            if !m.throws.is_empty() {
                let throws: Vec<String> = m
                    .throws
                    .iter()
                    .map(|p| format!("{}: {} {}", p.id, p.ty, p.name))
                    .collect();
                let _ = write!(out, " throws ({})", throws.join(", "));
            }
            out.push_str(&annotations_text(&m.annotations));
            match m.streaming {
                Some("unary") => out.push_str("  // unary (ping-pong)"),
                Some(kind) => {
                    let _ = write!(out, "  // {kind} streaming");
                }
                None => {}
            }
            if let Some(from) = &m.from {
                let _ = write!(out, "  // from {from}");
            }
            out.push('\n');
        }
        let _ = write!(out, "}}{}\n\n", annotations_text(&s.annotations));
    }
    for t in &d.types {
        match (&t.fields, &t.values, &t.ty) {
            (Some(fields), _, _) => {
                let _ = writeln!(out, "{} {} {{", t.kind, t.name);
                for f in fields {
                    let req = match f.requiredness {
                        "default" => String::new(),
                        r => format!("{r} "),
                    };
                    let _ = write!(out, "  {}: {req}{} {}", f.id, f.ty, f.name);
                    if !f.default.is_null() {
                        let _ = write!(out, " = {}", f.default);
                    }
                    out.push_str(&annotations_text(&f.annotations));
                    if let Some(j) = &f.json_name {
                        let _ = write!(out, "  // json: {j}");
                    }
                    out.push('\n');
                }
                let _ = write!(out, "}}{}\n\n", annotations_text(&t.annotations));
            }
            (_, Some(values), _) => {
                let _ = writeln!(out, "enum {} {{", t.name);
                for v in values {
                    let a = annotations_text(&v.annotations);
                    let _ = writeln!(out, "  {} = {}{a}", v.name, v.value);
                }
                let _ = write!(out, "}}{}\n\n", annotations_text(&t.annotations));
            }
            (_, _, Some(ty)) => {
                let _ = writeln!(out, "typedef {ty} {}\n", t.name);
            }
            _ => {}
        }
    }
    for c in &d.consts {
        let _ = writeln!(out, "const {} {} = {}", c.ty, c.name, c.value);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
