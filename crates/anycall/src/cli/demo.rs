//! `anycall demo`: a guided tour on the bundled example IDL.

use anycall_idl::Loader;

use super::CliError;
use super::args::DemoArgs;
use crate::describe::{self, Target};

/// The bundled example IDL: main file and its include.
pub(crate) const ECHO_THRIFT: &str = include_str!("../demo/echo.thrift");
pub(crate) const BASE_THRIFT: &str = include_str!("../demo/base/base.thrift");

fn heading(title: &str) {
    println!("\n=== {title} ===\n");
}

pub(crate) fn run(_a: &DemoArgs) -> Result<(), CliError> {
    let pool = Loader::in_memory()
        .file("demo/echo.thrift", ECHO_THRIFT)
        .file("demo/base/base.thrift", BASE_THRIFT)
        .load("demo/echo.thrift")
        .map_err(|e| anyhow::anyhow!("bundled IDL: {e}"))?;
    heading("describe: the bundled IDL (demo/echo.thrift)");
    let d = describe::describe(&pool, Target::All)?;
    println!("{}", super::describe::render_text(&d));
    heading("list: every callable method");
    for s in pool.services() {
        for m in s.methods() {
            println!("{}/{}", s.full_name(), m.name());
        }
    }
    let svc = pool
        .default_service()
        .ok_or_else(|| anyhow::anyhow!("bundled IDL has no service"))?;
    heading(&format!(
        "default service (Kitex's rule: the last one in the main file): {}",
        svc.name()
    ));
    let echo = svc
        .method("Echo")
        .ok_or_else(|| anyhow::anyhow!("bundled IDL has no Echo method"))?;
    println!(
        "{}/{} takes {} and answers {} ({} declared exception(s))",
        svc.name(),
        echo.name(),
        echo.args().full_name(),
        echo.result().full_name(),
        echo.exceptions().count()
    );
    println!("\ndemo finished: all steps succeeded");
    Ok(())
}
