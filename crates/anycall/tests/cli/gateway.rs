//! `anycall gateway` in front of `anycall serve`: the seed's request over
//! HTTP, /metrics, --routes, --watch and shutdown on SIGTERM.

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anycall_test_support::process::first_line;

use crate::support::{Background, run, stdout, testdata};

fn http(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: t\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn addr_after<'a>(line: &'a str, marker: &str) -> &'a str {
    line.split(marker)
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {marker:?} in {line:?}"))
        .trim_start_matches("http://")
        .trim_end_matches([',', ';'])
        .trim_end_matches("/metrics")
}

#[test]
fn gateway_in_front_of_serve() {
    let idl = testdata("gateway/biz.thrift");
    let idl = idl.to_str().unwrap();
    let upstream = Background::anycall(&["serve", "--idl", idl, "--listen", "127.0.0.1:0"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args([
            "gateway",
            "--idl",
            idl,
            "--listen",
            "127.0.0.1:0",
            "--upstream",
        ])
        .arg(&upstream.addr)
        .args(["--admin", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = first_line(&mut child, "the gateway", Duration::from_secs(30));
    let gw = addr_after(&line, "listening on ").to_owned();
    let admin = addr_after(&line, "metrics on ").to_owned();
    assert!(line.contains("(3 route(s))"), "{line}");
    let (status, text) = http(
        &gw,
        "GET",
        "/life/client/1/1?v_int64=1&req_items=item1,item2,itme3&cids=1,2,3&vids=1,2,3",
        "token: 1\r\n",
        r#"{"text":"text","some":{"id":1,"text":"text"},"req_items_map":{"1":{"id":1,"text":"text"}}}"#,
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");
    let (status, text) = http(&gw, "GET", "/life/client/x/1", "", "");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains(r#""field":"api_version""#), "{text}");
    let (status, text) = http(&admin, "GET", "/metrics", "", "");
    assert_eq!(status, 200);
    assert!(text.contains("anycall_gateway_requests_total 2"), "{text}");
    assert!(
        text.contains("anycall_gateway_responses_total{status=\"400\"} 1"),
        "{text}"
    );
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the gateway exits on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn gateway_lists_routes_and_refuses_conflicts() {
    let idl = testdata("gateway/biz.thrift");
    let out = run(&["gateway", "--idl", idl.to_str().unwrap(), "--routes"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "GET /life/client/:action/:biz -> BizService.BizMethod1\n\
         POST /life/client/:action/:biz -> BizService.BizMethod2\n\
         POST /life/client/:action/:biz/other -> BizService.BizMethod3\n"
    );
    let dir = std::env::temp_dir().join(format!("anycall-cli-gw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.thrift");
    std::fs::write(
        &bad,
        "struct R {}\nservice S {\n R A(1: R r) (api.get = '/x')\n R B(1: R r) (api.get = '/x')\n}\n",
    )
    .unwrap();
    let out = run(&["gateway", "--idl", bad.to_str().unwrap(), "--routes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("S.A") && err.contains("S.B"), "{err}");
    let config = dir.join("gw.toml");
    std::fs::write(
        &config,
        format!(
            "[[backend]]\nidl = {:?}\nupstream = \"127.0.0.1:1\"\ntransport = \"ttheader\"\ntimeout = \"1s\"\n",
            idl.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = run(&["gateway", "--config", config.to_str().unwrap(), "--routes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out).lines().count(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gateway_watch_reloads_the_idl() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-gw-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let idl = dir.join("w.thrift");
    let v1 = "struct R { 1: optional string s }\nservice S {\n R A(1: R r) (api.get = '/a')\n}\n";
    std::fs::write(&idl, v1).unwrap();
    let idl_s = idl.to_str().unwrap();
    let upstream = Background::anycall(&["serve", "--idl", idl_s, "--listen", "127.0.0.1:0"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args([
            "gateway",
            "--idl",
            idl_s,
            "--listen",
            "127.0.0.1:0",
            "--watch",
            "--upstream",
        ])
        .arg(&upstream.addr)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = first_line(&mut child, "the gateway", Duration::from_secs(30));
    let gw = addr_after(&line, "listening on ").to_owned();
    assert_eq!(http(&gw, "GET", "/b", "", "").0, 404);
    std::fs::write(&idl, v1.replace("(api.get = '/a')", "(api.get = '/b')")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, text) = http(&gw, "GET", "/b", "", "");
        if status != 404 {
            // The upstream still serves the old IDL, whose method A is the same.
            assert_eq!(status, 200, "{text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new route appears within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gateway_watch_reloads_the_config() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-gw-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.thrift");
    let b = dir.join("b.thrift");
    std::fs::write(
        &a,
        "struct R { 1: optional string s }\nservice A {\n R Get(1: R r) (api.get = '/a')\n}\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "struct R { 1: optional string s }\nservice B {\n R Get(1: R r) (api.get = '/b')\n}\n",
    )
    .unwrap();
    let up_a = Background::anycall(&[
        "serve",
        "--idl",
        a.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let up_b = Background::anycall(&[
        "serve",
        "--idl",
        b.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let backend = |idl: &std::path::Path, up: &str| {
        format!(
            "[[backend]]\nidl = {:?}\nupstream = {up:?}\n",
            idl.to_str().unwrap()
        )
    };
    let config = dir.join("gw.toml");
    std::fs::write(&config, backend(&a, &up_a.addr)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args(["gateway", "--listen", "127.0.0.1:0", "--watch", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child, "the gateway", Duration::from_secs(30));
    let gw = addr_after(&line, "listening on ").to_owned();
    assert_eq!(http(&gw, "GET", "/a", "", "").0, 200);
    assert_eq!(http(&gw, "GET", "/b", "", "").0, 404);
    std::fs::write(
        &config,
        format!("{}{}", backend(&a, &up_a.addr), backend(&b, &up_b.addr)),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while http(&gw, "GET", "/b", "", "").0 == 404 {
        assert!(
            Instant::now() < deadline,
            "the new backend appears within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(http(&gw, "GET", "/b", "", "").0, 200);
    // A config that does not parse is refused and the routes stay.
    std::fs::write(&config, "[[backend]\n").unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the failed reload is logged within 20 s");
        if line.contains("config reload failed") {
            break;
        }
    }
    assert_eq!(http(&gw, "GET", "/a", "", "").0, 200);
    assert_eq!(http(&gw, "GET", "/b", "", "").0, 200);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `interop/.venv/bin/<tool>`, installed by scripts/interop-setup.
fn venv_tool(name: &str) -> std::path::PathBuf {
    let path = crate::support::root().join("interop/.venv/bin").join(name);
    assert!(
        path.exists(),
        "{} not found; run scripts/interop-setup",
        path.display()
    );
    path
}

#[test]
fn gateway_openapi_validates_and_schemathesis_finds_no_server_error() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-gw-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for idl in [
        "gateway/biz.thrift",
        "gateway/all.thrift",
        "interop/echo_http.thrift",
    ] {
        let path = testdata(idl);
        let out = run(&["gateway", "--idl", path.to_str().unwrap(), "--openapi"]);
        assert!(out.status.success(), "{idl}");
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let file = dir.join(idl.replace('/', "_") + ".json");
        std::fs::write(&file, stdout(&out)).unwrap();
        let check = Command::new(venv_tool("openapi-spec-validator"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{idl}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let biz = testdata("gateway/biz.thrift");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "gateway",
        "--idl",
        biz.to_str().unwrap(),
        "--openapi",
    ])))
    .unwrap();
    let op = &doc["paths"]["/life/client/{action}/{biz}"]["get"];
    let params: Vec<(&str, &str)> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["in"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    for want in [
        ("path", "action"),
        ("path", "biz"),
        ("query", "cids"),
        ("header", "token"),
    ] {
        assert!(params.contains(&want), "{want:?} in {params:?}");
    }
    assert!(op["responses"]["default"]["headers"]["item_count"].is_object());

    // schemathesis against the running gateway in front of `anycall serve`.
    let upstream = Background::anycall(&[
        "serve",
        "--idl",
        biz.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args([
            "gateway",
            "--idl",
            biz.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--upstream",
        ])
        .arg(&upstream.addr)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = first_line(&mut child, "the gateway", Duration::from_secs(30));
    let gw = addr_after(&line, "listening on ").to_owned();
    let file = dir.join("gateway_biz.thrift.json");
    let st = Command::new(venv_tool("schemathesis"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--url",
            &format!("http://{gw}"),
        ])
        .args([
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--seed",
            "1",
        ])
        .args([
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
        ])
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(&dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&st.stdout);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        st.status.success(),
        "schemathesis found problems:\n{report}"
    );
    assert!(report.contains("No issues found"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}
