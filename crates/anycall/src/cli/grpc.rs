//! Protobuf and gRPC in the CLI: `describe`/`list` of `.proto` files and of
//! servers (reflection), `call` over gRPC, `serve` of a `.proto`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anycall_codec::proto::{ProtoOptions, json_to_message, message_to_json};
use anycall_idl::proto::{DescriptorPool, ProtoLoader, ProtoProvider, is_proto_path};
use anycall_rpc::Payload;
use anycall_rpc::grpc::kitexpb::KitexPbClient;
use anycall_rpc::grpc::reflection::ReflectionClient;
use anycall_rpc::grpc::{
    CallKind, Code, GrpcCall, GrpcClient, GrpcHandler, GrpcMode, GrpcReply, GrpcServer,
    MessageStream, MetadataMap, ProtoIdl, Status,
};
use anyhow::{Context as _, anyhow};
use futures_util::StreamExt as _;
use prost_reflect::{
    Cardinality, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor,
};
use serde_json::json;

use super::args::{CallArgs, JsonOutput, Output};
use super::input::{DEFAULT_ADDR, hint};
use super::{CliError, Exit};

/// Whether `path` is a `.proto` IDL.
pub(crate) fn is_proto(path: &Path) -> bool {
    is_proto_path(path)
}

/// Compiles a `.proto` file with its imports.
pub(crate) fn load_proto(idl: &Path, include: &[PathBuf]) -> Result<DescriptorPool, CliError> {
    ProtoLoader::new()
        .include_dirs(include.iter().cloned())
        .load([idl.to_string_lossy()])
        .map_err(|e| CliError::from(anyhow!("{e}")))
}

/// Descriptors from a server's reflection service, for `symbols` (every
/// service when empty).
async fn reflect(
    addr: &str,
    symbols: &[String],
    timeout: Duration,
) -> Result<DescriptorPool, CliError> {
    // Not reaching the server is a transport failure (exit 1), as in grpcurl.
    let mut client = ReflectionClient::connect(addr, timeout)
        .await
        .map_err(|s| {
            CliError::from(anyhow!(
                "reflection on {addr} (no --idl given): {}: {}",
                code_name(s.code()),
                s.message()
            ))
        })?;
    let pool = if symbols.is_empty() {
        client.pool_all().await
    } else {
        client.pool_for(symbols).await
    };
    pool.map_err(|s| status_error(&s, &format!("reflection on {addr}")))
}

fn status_error(status: &Status, what: &str) -> CliError {
    CliError::exit(
        Exit::Remote(status.code() as i32),
        Some(anyhow!(
            "{what}: {}: {}",
            code_name(status.code()),
            status.message()
        )),
    )
}

/// `NOT_FOUND` and friends, as gRPC spells them.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

// ---------------------------------------------------------------------------
// describe / list

/// `anycall list` of a `.proto` pool: `package.Service/Method` per line.
pub(crate) fn list_text(pool: &DescriptorPool) -> String {
    let mut out = String::new();
    for s in pool.services() {
        if s.full_name().starts_with("grpc.reflection.") {
            continue;
        }
        for m in s.methods() {
            let _ = writeln!(out, "{}/{}", s.full_name(), m.name());
        }
    }
    out
}

/// `anycall list --idl x.proto`.
pub(crate) fn list_proto(idl: &Path, include: &[PathBuf]) -> Result<(), CliError> {
    let pool = load_proto(idl, include)?;
    super::print_out(&list_text(&pool))?;
    Ok(())
}

/// `anycall list ADDR`, by reflection.
pub(crate) async fn list_remote(addr: &str) -> Result<(), CliError> {
    let pool = reflect(addr, &[], Duration::from_secs(5)).await?;
    super::print_out(&list_text(&pool))?;
    Ok(())
}

/// `anycall describe --idl x.proto [TARGET]`.
pub(crate) fn describe_proto(
    idl: &Path,
    include: &[PathBuf],
    target: Option<&str>,
    output: Output,
) -> Result<(), CliError> {
    let pool = load_proto(idl, include)?;
    describe_pool(&pool, target, output)
}

/// `anycall describe ADDR [SYMBOL]`, by reflection.
pub(crate) async fn describe_remote(
    addr: &str,
    target: Option<&str>,
    output: Output,
) -> Result<(), CliError> {
    let symbols: Vec<String> = target
        .map(|t| vec![t.split('/').next().unwrap_or(t).to_owned()])
        .unwrap_or_default();
    let pool = reflect(addr, &symbols, Duration::from_secs(5)).await?;
    describe_pool(&pool, target, output)
}

fn describe_pool(
    pool: &DescriptorPool,
    target: Option<&str>,
    output: Output,
) -> Result<(), CliError> {
    let services: Vec<_> = pool
        .services()
        .filter(|s| !s.full_name().starts_with("grpc.reflection."))
        .collect();
    let (text, doc) = match target {
        None => {
            let mut text = String::new();
            let mut docs = Vec::new();
            for s in &services {
                text.push_str(&service_text(s, None));
                docs.push(service_json(s, None));
            }
            (text, json!({ "services": docs }))
        }
        Some(t) => {
            if let Some((svc, method)) = t.split_once('/') {
                let s = find_service(pool, svc)?;
                let m = s.methods().find(|m| m.name() == method).ok_or_else(|| {
                    let names: Vec<String> = s.methods().map(|m| m.name().to_owned()).collect();
                    anyhow!(
                        "service `{svc}` has no method `{method}`{}",
                        hint(method, names.iter().map(String::as_str))
                    )
                })?;
                let mut text = service_text(&s, Some(&m));
                text.push_str(&message_text(&m.input()));
                if m.output() != m.input() {
                    text.push_str(&message_text(&m.output()));
                }
                (text, service_json(&s, Some(&m)))
            } else if let Some(s) = pool.get_service_by_name(t) {
                (service_text(&s, None), service_json(&s, None))
            } else if let Some(msg) = pool.get_message_by_name(t) {
                (message_text(&msg), message_json(&msg))
            } else if let Some(e) = pool.get_enum_by_name(t) {
                let mut text = format!("enum {} {{\n", e.full_name());
                for v in e.values() {
                    let _ = writeln!(text, "  {} = {};", v.name(), v.number());
                }
                text.push_str("}\n");
                let values: Vec<_> = e
                    .values()
                    .map(|v| json!({"name": v.name(), "number": v.number()}))
                    .collect();
                (text, json!({"enum": e.full_name(), "values": values}))
            } else {
                let names: Vec<String> = pool
                    .services()
                    .map(|s| s.full_name().to_owned())
                    .chain(pool.all_messages().map(|m| m.full_name().to_owned()))
                    .collect();
                return Err(anyhow!(
                    "no service, method or type `{t}`{}",
                    hint(t, names.iter().map(String::as_str))
                )
                .into());
            }
        }
    };
    match output {
        Output::Text => super::print_out(&text)?,
        Output::Json => super::print_out(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?,
    }
    Ok(())
}

fn find_service(
    pool: &DescriptorPool,
    name: &str,
) -> anyhow::Result<prost_reflect::ServiceDescriptor> {
    pool.get_service_by_name(name).ok_or_else(|| {
        let names: Vec<String> = pool.services().map(|s| s.full_name().to_owned()).collect();
        anyhow!(
            "no service `{name}`{}",
            hint(name, names.iter().map(String::as_str))
        )
    })
}

fn method_line(m: &MethodDescriptor) -> String {
    let cs = if m.is_client_streaming() {
        "stream "
    } else {
        ""
    };
    let ss = if m.is_server_streaming() {
        "stream "
    } else {
        ""
    };
    format!(
        "  rpc {}({cs}{}) returns ({ss}{});  // {}\n",
        m.name(),
        m.input().full_name(),
        m.output().full_name(),
        CallKind::of(m).name()
    )
}

fn service_text(s: &prost_reflect::ServiceDescriptor, only: Option<&MethodDescriptor>) -> String {
    let mut out = format!("service {} {{\n", s.full_name());
    for m in s.methods() {
        if only.is_none_or(|o| o == &m) {
            out.push_str(&method_line(&m));
        }
    }
    out.push_str("}\n");
    out
}

fn service_json(
    s: &prost_reflect::ServiceDescriptor,
    only: Option<&MethodDescriptor>,
) -> serde_json::Value {
    let methods: Vec<_> = s
        .methods()
        .filter(|m| only.is_none_or(|o| o == m))
        .map(|m| {
            json!({
                "name": m.name(),
                "input": m.input().full_name(),
                "output": m.output().full_name(),
                "kind": CallKind::of(&m).name(),
                "client_streaming": m.is_client_streaming(),
                "server_streaming": m.is_server_streaming(),
            })
        })
        .collect();
    json!({"service": s.full_name(), "file": s.parent_file().name(), "methods": methods})
}

fn field_type(f: &FieldDescriptor) -> String {
    if f.is_map()
        && let Kind::Message(entry) = f.kind()
    {
        let k = entry.map_entry_key_field();
        let v = entry.map_entry_value_field();
        return format!("map<{}, {}>", kind_name(&k.kind()), kind_name(&v.kind()));
    }
    let base = kind_name(&f.kind());
    if f.is_list() {
        format!("repeated {base}")
    } else if f.supports_presence()
        && f.containing_oneof().is_none()
        && !matches!(f.kind(), Kind::Message(_))
        && f.cardinality() == Cardinality::Optional
    {
        format!("optional {base}")
    } else {
        base
    }
}

fn kind_name(k: &Kind) -> String {
    match k {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(m) => m.full_name().to_owned(),
        Kind::Enum(e) => e.full_name().to_owned(),
    }
}

fn message_text(m: &MessageDescriptor) -> String {
    let mut out = format!("message {} {{\n", m.full_name());
    let mut open_oneof: Option<String> = None;
    for f in m.fields() {
        let oneof = f
            .containing_oneof()
            .filter(|o| !o.is_synthetic())
            .map(|o| o.name().to_owned());
        if oneof != open_oneof {
            if open_oneof.is_some() {
                out.push_str("  }\n");
            }
            if let Some(o) = &oneof {
                let _ = writeln!(out, "  oneof {o} {{");
            }
            open_oneof = oneof;
        }
        let pad = if open_oneof.is_some() { "    " } else { "  " };
        let _ = writeln!(
            out,
            "{pad}{} {} = {};  // JSON \"{}\"",
            field_type(&f),
            f.name(),
            f.number(),
            f.json_name()
        );
    }
    if open_oneof.is_some() {
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

fn message_json(m: &MessageDescriptor) -> serde_json::Value {
    let fields: Vec<_> = m
        .fields()
        .map(|f| {
            json!({
                "name": f.name(),
                "json_name": f.json_name(),
                "number": f.number(),
                "type": field_type(&f),
                "oneof": f.containing_oneof().filter(|o| !o.is_synthetic()).map(|o| o.name().to_owned()),
            })
        })
        .collect();
    json!({"message": m.full_name(), "fields": fields})
}

// ---------------------------------------------------------------------------
// call

/// Whether `call` goes over gRPC: a `.proto` IDL, or no IDL at all
/// (reflection).
pub(crate) fn is_grpc_call(a: &CallArgs) -> bool {
    !a.raw && a.idl.as_deref().is_none_or(is_proto)
}

/// `-H 'name: value'` and `--meta name=value` as gRPC metadata.
fn metadata(a: &CallArgs) -> Result<MetadataMap, CliError> {
    let mut md = MetadataMap::new();
    let mut add = |k: &str, v: &str| -> Result<(), CliError> {
        let key = k.trim().to_ascii_lowercase();
        let v = v.trim();
        if key.ends_with("-bin") {
            let name = tonic::metadata::BinaryMetadataKey::from_bytes(key.as_bytes())
                .map_err(|e| CliError::usage(anyhow!("bad metadata name {key:?}: {e}")))?;
            md.append_bin(
                name,
                tonic::metadata::BinaryMetadataValue::from_bytes(v.as_bytes()),
            );
        } else {
            let name = tonic::metadata::AsciiMetadataKey::from_bytes(key.as_bytes())
                .map_err(|e| CliError::usage(anyhow!("bad metadata name {key:?}: {e}")))?;
            let value = v
                .parse()
                .map_err(|e| CliError::usage(anyhow!("bad metadata value for {key}: {e}")))?;
            md.append(name, value);
        }
        Ok(())
    };
    for h in &a.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| CliError::usage(anyhow!("expected -H 'name: value', found {h:?}")))?;
        add(k, v)?;
    }
    for kv in &a.meta {
        add(&kv.0, &kv.1)?;
    }
    Ok(md)
}

fn print_metadata(title: &str, md: &MetadataMap) {
    eprintln!("{title}:");
    for kv in md.iter() {
        match kv {
            tonic::metadata::KeyAndValueRef::Ascii(k, v) => {
                eprintln!("  {}: {}", k.as_str(), v.to_str().unwrap_or("<not text>"));
            }
            tonic::metadata::KeyAndValueRef::Binary(k, v) => {
                eprintln!("  {}: {:?}", k.as_str(), v.to_bytes().unwrap_or_default());
            }
        }
    }
}

/// `anycall call` over gRPC.
pub(crate) async fn call(a: &CallArgs) -> Result<(), CliError> {
    let (addr, target) = match a.positional.as_slice() {
        [target] => (DEFAULT_ADDR.to_owned(), target.clone()),
        [addr, target] => (addr.clone(), target.clone()),
        _ => {
            return Err(CliError::usage(anyhow!(
                "expected [ADDR] package.Service/Method"
            )));
        }
    };
    let Some((service, method)) = target.trim_start_matches('/').rsplit_once('/') else {
        return Err(CliError::usage(anyhow!(
            "expected package.Service/Method, found {target:?} (see `anycall list`)"
        )));
    };
    let pool = match &a.idl {
        Some(idl) => load_proto(idl, &a.include)?,
        None => {
            reflect(
                &addr,
                &[service.to_owned()],
                a.client.connect_timeout.max(Duration::from_secs(2)),
            )
            .await?
        }
    };
    let desc = anycall_rpc::grpc::find_method(&pool, service, method)
        .map_err(|s| CliError::from(anyhow!("{}", s.message())))?;
    let kind = CallKind::of(&desc);
    let options = ProtoOptions {
        emit_defaults: a.emit_defaults,
        ignore_unknown: a.json.lenient,
        ..ProtoOptions::default()
    };
    let pretty = matches!(a.output, Some(JsonOutput::Pretty));
    let md = metadata(a)?;
    let client = GrpcClient::builder(addr.clone())
        .idl(pool.clone())
        .mode(GrpcMode::Dynamic)
        .options(options)
        .timeout(a.client.timeout)
        .connect_timeout(a.client.connect_timeout)
        .build()
        .context("invalid client settings")?;
    let input = desc.input();
    let mut requests = super::input::json_values(a.data.as_deref(), move |text, i| {
        json_to_message(&input, text.as_bytes(), &options).with_context(|| format!("request #{i}"))
    })?;
    if a.kitex_protobuf {
        return kitex_protobuf_call(a, &addr, &desc, options, pretty, &mut requests).await;
    }
    // Unary and server streaming take exactly one request (`{}` when the
    // input is empty); the stream kinds send each as it is read.
    let (err_tx, mut err_rx) = tokio::sync::oneshot::channel::<anyhow::Error>();
    let outgoing: futures_util::stream::BoxStream<'static, Payload> = if kind.client_streams() {
        let mut err_tx = Some(err_tx);
        Box::pin(futures_util::stream::poll_fn(move |cx| {
            match requests.poll_recv(cx) {
                std::task::Poll::Ready(Some(Ok(m))) => {
                    std::task::Poll::Ready(Some(Payload::Proto(m)))
                }
                std::task::Poll::Ready(Some(Err(e))) => {
                    if let Some(tx) = err_tx.take() {
                        let _ = tx.send(e);
                    }
                    std::task::Poll::Ready(None)
                }
                std::task::Poll::Ready(None) => std::task::Poll::Ready(None),
                std::task::Poll::Pending => std::task::Poll::Pending,
            }
        }))
    } else {
        drop(err_tx);
        let first = requests
            .recv()
            .await
            .unwrap_or_else(|| Ok(DynamicMessage::new(desc.input())))?;
        if let Some(extra) = requests.recv().await {
            extra?;
            return Err(CliError::usage(anyhow!(
                "{service}/{method} is {} and takes one request; -d has more",
                kind.name()
            )));
        }
        Box::pin(futures_util::stream::iter([Payload::Proto(first)]))
    };
    if a.verbose {
        print_metadata("request metadata", &md);
    }
    let started = std::time::Instant::now();
    let path = format!("/{service}/{method}");
    let mut response = match client.call(&path, md, outgoing).await {
        Ok(r) => r,
        Err(status) => return Err(status_error(&status, &path)),
    };
    if a.verbose {
        match response.headers().await {
            Ok(headers) => print_metadata("response headers", headers),
            Err(status) => return Err(status_error(&status, &path)),
        }
    }
    let mut n = 0usize;
    loop {
        match response.message().await {
            Ok(Some(Payload::Proto(msg))) => {
                n += 1;
                let text = if pretty {
                    anycall_codec::proto::message_to_json_pretty(&msg, &options)
                } else {
                    message_to_json(&msg, &options)
                }
                .map_err(|e| anyhow!("reply #{n}: {e}"))?;
                super::print_out(&format!("{text}\n"))?;
            }
            Ok(Some(_)) => return Err(anyhow!("unexpected reply form").into()),
            Ok(None) => break,
            Err(status) => {
                if let Ok(e) = err_rx.try_recv() {
                    return Err(e.into());
                }
                if a.verbose {
                    print_metadata("response trailers", status.metadata());
                }
                return Err(status_error(&status, &path));
            }
        }
    }
    if let Ok(e) = err_rx.try_recv() {
        return Err(e.into());
    }
    let trailers = response.trailers().await.unwrap_or_default();
    if a.verbose {
        print_metadata("response trailers", &trailers);
        eprintln!(
            "{} reply message(s) in {:?} ({})",
            n,
            started.elapsed(),
            kind.name()
        );
    }
    Ok(())
}

/// `call --kitex-protobuf`: one unary call over Kitex Protobuf.
async fn kitex_protobuf_call(
    a: &CallArgs,
    addr: &str,
    desc: &MethodDescriptor,
    options: ProtoOptions,
    pretty: bool,
    requests: &mut tokio::sync::mpsc::Receiver<anyhow::Result<DynamicMessage>>,
) -> Result<(), CliError> {
    if CallKind::of(desc) != CallKind::Unary {
        return Err(CliError::usage(anyhow!(
            "Kitex Protobuf carries unary calls only; {} is {}",
            desc.full_name(),
            CallKind::of(desc).name()
        )));
    }
    let request = match requests.recv().await {
        Some(m) => m?,
        None => DynamicMessage::new(desc.input()),
    };
    if requests.recv().await.is_some() {
        return Err(CliError::usage(anyhow!("a unary call takes one request")));
    }
    let transport = anycall_codec::frame::Transport::from(a.client.transport);
    let client = KitexPbClient::new(addr, transport)
        .context("--kitex-protobuf")?
        .service(desc.parent_service().name())
        .timeout(a.client.timeout)
        .connect_timeout(a.client.connect_timeout);
    let mut body = bytes::BytesMut::new();
    anycall_codec::proto::message_to_bytes(&request, &mut body);
    let started = std::time::Instant::now();
    let reply = match client.call(desc.name(), &body).await {
        Ok(reply) => reply,
        Err(e) => {
            return Err(match e.application() {
                Some(ex) => CliError::exit(
                    Exit::Remote(ex.kind().0),
                    Some(anyhow!(
                        "the server answered with an exception: {} (type {})",
                        ex.message(),
                        ex.kind().0
                    )),
                ),
                None => CliError::from(anyhow!("{}: {e}", desc.full_name())),
            });
        }
    };
    let msg = anycall_codec::proto::bytes_to_message(&desc.output(), &reply, &options)
        .map_err(|e| anyhow!("the reply of {}: {e}", desc.full_name()))?;
    let text = if pretty {
        anycall_codec::proto::message_to_json_pretty(&msg, &options)
    } else {
        message_to_json(&msg, &options)
    }
    .map_err(|e| anyhow!("the reply: {e}"))?;
    super::print_out(&format!("{text}\n"))?;
    if a.verbose {
        eprintln!(
            "Kitex Protobuf over {transport}: {} bytes out, {} back in {:?}",
            body.len(),
            reply.len(),
            started.elapsed()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// serve

/// Canned gRPC answers: `"pkg.Svc/Method"` (or `"Method"`) → a message, a
/// list of messages (streamed in order), or `{"status": {"code": N,
/// "message": "..."}}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrpcMock {
    answers: std::collections::HashMap<String, serde_json::Value>,
}

impl GrpcMock {
    pub(crate) fn parse(text: &str, pool: &DescriptorPool) -> anyhow::Result<Self> {
        let doc: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).context("a mock file is a JSON object")?;
        let mock = Self {
            answers: doc.into_iter().collect(),
        };
        // Check every canned message against its method's output type now.
        for (key, value) in &mock.answers {
            let m = pool
                .services()
                .flat_map(|s| s.methods().collect::<Vec<_>>())
                .find(|m| {
                    key == &format!("{}/{}", m.parent_service().full_name(), m.name())
                        || key == m.name()
                })
                .ok_or_else(|| anyhow!("mock key `{key}` names no method of the .proto"))?;
            if value.get("status").is_some() {
                continue;
            }
            let items = match value {
                serde_json::Value::Array(items) => items.clone(),
                v => vec![v.clone()],
            };
            for item in items {
                json_to_message(
                    &m.output(),
                    item.to_string().as_bytes(),
                    &ProtoOptions::default(),
                )
                .with_context(|| format!("mock reply for `{key}`"))?;
            }
        }
        Ok(mock)
    }

    fn answer(&self, m: &MethodDescriptor) -> Option<&serde_json::Value> {
        self.answers
            .get(&format!("{}/{}", m.parent_service().full_name(), m.name()))
            .or_else(|| self.answers.get(m.name()))
    }
}

/// The `serve --idl x.proto` handler: canned answers, then echo (when the
/// input and output types are the same), then an empty message.
#[derive(Debug, Clone)]
pub(crate) struct MockGrpc {
    pub(crate) mock: Arc<GrpcMock>,
    pub(crate) echo: bool,
}

impl GrpcHandler for MockGrpc {
    async fn call(&self, call: GrpcCall, mut requests: MessageStream) -> Result<GrpcReply, Status> {
        let m = &call.descriptor;
        tracing::info!(method = %format!("{}/{}", call.service, call.method), kind = call.kind.name(), "grpc call");
        if let Some(answer) = self.mock.answer(m) {
            // Drain the requests first, as a real server reads them.
            while let Some(r) = requests.next().await {
                r?;
            }
            if let Some(status) = answer.get("status") {
                let code = status
                    .get("code")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(2);
                let message = status
                    .get("message")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                return Err(Status::new(Code::from_i32(code as i32), message));
            }
            let items = match answer {
                serde_json::Value::Array(items) => items.clone(),
                v => vec![v.clone()],
            };
            let out = items
                .into_iter()
                .map(|v| Payload::Json(v.to_string()))
                .collect();
            return Ok(GrpcReply::many(out));
        }
        let same = m.input() == m.output();
        if self.echo && same {
            return Ok(match call.kind {
                CallKind::Bidi => GrpcReply::stream(requests),
                CallKind::Unary | CallKind::ServerStreaming => {
                    let first = requests.next().await.transpose()?;
                    GrpcReply::one(
                        first.unwrap_or_else(|| Payload::Proto(DynamicMessage::new(m.output()))),
                    )
                }
                CallKind::ClientStreaming => {
                    let mut last = None;
                    while let Some(r) = requests.next().await {
                        last = Some(r?);
                    }
                    GrpcReply::one(
                        last.unwrap_or_else(|| Payload::Proto(DynamicMessage::new(m.output()))),
                    )
                }
            });
        }
        while let Some(r) = requests.next().await {
            r?;
        }
        Ok(GrpcReply::one(Payload::Proto(DynamicMessage::new(
            m.output(),
        ))))
    }
}

/// A gRPC server for `pool` answering with `mock`/`echo`, reflection on.
pub(crate) fn mock_server(
    idl: impl Into<ProtoIdl>,
    mock: GrpcMock,
    echo: bool,
) -> anyhow::Result<GrpcServer> {
    GrpcServer::builder(idl)
        .mode(GrpcMode::Dynamic)
        .build(MockGrpc {
            mock: Arc::new(mock),
            echo,
        })
        .map_err(|e| anyhow!(e))
}

/// Refuses Thrift calls on a port that serves only a `.proto`.
#[derive(Debug, Clone, Copy)]
struct NoThrift;

impl anycall_rpc::Handler for NoThrift {
    async fn call(
        &self,
        _ctx: &mut anycall_rpc::Context,
        method: &str,
        _payload: Payload,
    ) -> Result<anycall_codec::call::Reply<Payload>, anycall_rpc::HandlerError> {
        Err(anycall_rpc::HandlerError::new(format!(
            "this server has no Thrift IDL (method `{method}`); it serves gRPC"
        )))
    }
}

/// Starts `serve --idl x.proto`: gRPC (with reflection) on the listener that
/// also detects Thrift transports.
pub(crate) async fn start_serve(
    idl: impl Into<ProtoIdl>,
    mock: GrpcMock,
    echo: bool,
    listen: &str,
) -> anyhow::Result<anycall_rpc::ServerHandle> {
    let grpc = mock_server(idl, mock, echo)?;
    anycall_rpc::Server::builder(anycall_rpc::Mode::Binary)
        .grpc(grpc)
        .bind(listen, NoThrift)
        .await
        .with_context(|| format!("cannot serve on {listen}"))
}

/// `anycall serve --idl x.proto [--echo | --mock FILE]`.
pub(crate) async fn serve(a: &super::args::ServeArgs) -> Result<(), CliError> {
    let pool = load_proto(&a.idl.idl, &a.idl.include)?;
    let mock = match &a.mock {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            GrpcMock::parse(&text, &pool).with_context(|| format!("in {}", path.display()))?
        }
        None => GrpcMock::default(),
    };
    let methods: usize = pool
        .services()
        .filter(|s| !s.full_name().starts_with("grpc.reflection."))
        .map(|s| s.methods().len())
        .sum();
    let idl = if a.watch {
        let loader = ProtoLoader::new().include_dirs(a.idl.include.iter().cloned());
        let provider = ProtoProvider::new(loader, [a.idl.idl.to_string_lossy()])
            .map_err(|e| CliError::from(anyhow!("{e}")))?;
        let provider = Arc::new(provider);
        spawn_proto_watch(provider.clone(), proto_dirs(&a.idl.idl, &a.idl.include));
        ProtoIdl::Provider(provider)
    } else {
        ProtoIdl::Pool(pool)
    };
    let handle = start_serve(idl, mock, a.echo, &a.listen).await?;
    println!(
        "serving {methods} method(s) on {} (gRPC, with reflection v1 and v1alpha); Ctrl-C stops",
        handle.local_addr()
    );
    super::serve::wait_for_signal().await?;
    handle.shutdown().await;
    Ok(())
}

/// Where the files of a `.proto` pool are found: the main file's directory,
/// then the import paths (as [`ProtoLoader`] looks for them).
fn proto_dirs(main: &Path, include: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = vec![main.parent().map_or_else(PathBuf::new, Path::to_path_buf)];
    dirs.extend(include.iter().cloned());
    dirs
}

/// The files of `pool` found in `dirs` (the built-in well-known types have
/// no file).
fn proto_files(pool: &DescriptorPool, dirs: &[PathBuf]) -> Vec<PathBuf> {
    pool.files()
        .filter_map(|file| {
            dirs.iter()
                .map(|d| d.join(file.name()))
                .find(|p| p.is_file())
        })
        .collect()
}

/// `serve --idl x.proto --watch`: recompiles the `.proto` whenever one of its
/// files changes; calls and reflection then use the new pool, and a reload
/// that fails keeps the old one and logs why.
fn spawn_proto_watch(provider: Arc<ProtoProvider>, dirs: Vec<PathBuf>) {
    let files = {
        let provider = provider.clone();
        move || super::watch::fingerprint(proto_files(&provider.pool(), &dirs))
    };
    super::watch::poll(files, move || match provider.reload() {
        Ok(()) => {
            let methods: usize = provider.pool().services().map(|s| s.methods().len()).sum();
            tracing::info!(methods, "proto reloaded");
            true
        }
        Err(err) => {
            tracing::warn!("proto reload failed, serving the previous one:\n{err}");
            false
        }
    });
}

/// The demo's gRPC step: `serve` of a bundled `.proto` in process, one
/// unary and one bidi streaming call, both sides JSON.
pub(crate) async fn demo_step(n: usize) -> anyhow::Result<()> {
    const NOTES: &str = include_str!("../demo/echo.proto");
    println!("\n=== {n}. gRPC: a .proto at run time, a unary and a bidi streaming call ===");
    let pool = ProtoLoader::in_memory()
        .file("demo/echo.proto", NOTES)
        .load(["demo/echo.proto"])
        .map_err(|e| anyhow!("bundled .proto: {e}"))?;
    let server = start_serve(pool.clone(), GrpcMock::default(), true, "127.0.0.1:0").await?;
    let addr = server.local_addr().to_string();
    println!("  gRPC server on {addr} (the same listener would take Thrift), reflection on");
    let client = GrpcClient::builder(addr)
        .idl(pool)
        .timeout(Duration::from_secs(5))
        .build()?;
    let note = r#"{"text":"hi","seq":"1","at":"2024-01-02T03:04:05Z"}"#;
    println!("  sent:     demo.v1.Notes/Echo {note}");
    let (reply, _) = client
        .unary(
            "/demo.v1.Notes/Echo",
            MetadataMap::new(),
            Payload::Json(note.into()),
        )
        .await
        .map_err(|s| anyhow!("Echo: {s}"))?;
    let Payload::Json(text) = reply else {
        return Err(anyhow!("a JSON client returned another form"));
    };
    println!("  received: {text}");
    anyhow::ensure!(text == note, "the echo differs");
    let notes = [r#"{"text":"one"}"#, r#"{"text":"two","seq":"2"}"#];
    println!(
        "  sent:     demo.v1.Notes/Chat, a stream of {}",
        notes.join(" ")
    );
    let mut response = client
        .call(
            "/demo.v1.Notes/Chat",
            MetadataMap::new(),
            futures_util::stream::iter(notes.map(|n| Payload::Json(n.into()))),
        )
        .await
        .map_err(|s| anyhow!("Chat: {s}"))?;
    let mut got = Vec::new();
    while let Some(reply) = response.message().await.map_err(|s| anyhow!("Chat: {s}"))? {
        if let Payload::Json(text) = reply {
            println!("  received: {text}");
            got.push(text);
        }
    }
    anyhow::ensure!(got == notes, "the stream echo differs");
    server.shutdown().await;
    Ok(())
}
