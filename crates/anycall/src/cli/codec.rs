//! `anycall encode` and `anycall decode`: offline Thrift ⇄ JSON.

use std::io::Write as _;

use anycall_codec::call::{
    decode_args_json, decode_struct_json, encode_call_json, encode_struct_json, read_envelope,
};
use anycall_codec::thrift::{MessageType, Protocol, ProtocolReader, TApplicationException};
use anycall_codec::{Limits, Options};
use anycall_idl::{MethodDescriptor, Pool, StructDescriptor};
use anyhow::{Context as _, anyhow};
use bytes::BytesMut;

use super::CliError;
use super::args::{DecodeArgs, EncodeArgs, JsonOutput, MessageArg};
use super::describe::load;
use super::input::{find_method, from_hex, read_data, read_stdin, stdout_is_tty, to_hex};

enum Target<'p> {
    Struct(StructDescriptor<'p>),
    Method(MethodDescriptor<'p>),
}

fn target<'p>(pool: &'p Pool, name: &str) -> anyhow::Result<Target<'p>> {
    if let Some((service, method)) = name.split_once('/') {
        return find_method(pool, service, method).map(|(_, m)| Target::Method(m));
    }
    pool.find_struct(name)
        .map(Target::Struct)
        .ok_or_else(|| anyhow!("no struct, union or exception named `{name}`"))
}

pub(crate) fn encode(a: &EncodeArgs) -> Result<(), CliError> {
    let pool = load(&a.idl)?;
    let json = read_data(a.data.as_deref())?;
    let opts = a.json.options();
    let protocol = Protocol::from(a.protocol);
    let mut out = BytesMut::new();
    match target(&pool, &a.target)? {
        Target::Struct(desc) => encode_struct_json(desc, &json, protocol, &opts, &mut out)?,
        Target::Method(m) => match a.message {
            MessageArg::Call => encode_call_json(m, &json, a.seq_id, protocol, &opts, &mut out)?,
            MessageArg::Reply => encode_reply(m, &json, a.seq_id, protocol, &opts, &mut out)?,
        },
    }
    let mut stdout = std::io::stdout().lock();
    if a.hex {
        stdout.write_all(to_hex(&out).as_bytes())?;
    } else {
        stdout.write_all(&out)?;
    }
    stdout.flush()?;
    Ok(())
}

/// A reply from `{"success": ...}` or `{"<exception>": ...}`: the result
/// struct itself, behind a REPLY header.
fn encode_reply(
    m: MethodDescriptor<'_>,
    json: &[u8],
    seq_id: i32,
    protocol: Protocol,
    opts: &Options,
    out: &mut BytesMut,
) -> anyhow::Result<()> {
    let header = anycall_codec::thrift::MessageHeader::new(m.name(), MessageType::Reply, seq_id);
    anycall_codec::thrift::write_message_header(protocol, out, &header)?;
    encode_struct_json(m.result(), json, protocol, opts, out)?;
    Ok(())
}

pub(crate) fn decode(a: &DecodeArgs) -> Result<(), CliError> {
    let pool = load(&a.idl)?;
    let raw = read_stdin()?;
    let bytes = if a.hex { from_hex(&raw)? } else { raw };
    let opts = a.json.options();
    let protocol = Protocol::from(a.protocol);
    let limits = a.json.limits();
    let pretty = match a.output {
        Some(JsonOutput::Pretty) => true,
        Some(JsonOutput::Json) => false,
        None => stdout_is_tty(),
    };
    let text = match target(&pool, &a.target)? {
        Target::Struct(desc) => {
            let (json, used) = decode_struct_json(desc, &bytes, protocol, &opts, &limits, pretty)?;
            if used != bytes.len() {
                eprintln!(
                    "warning: {} trailing byte(s) after the struct were ignored",
                    bytes.len() - used
                );
            }
            json
        }
        Target::Method(m) => decode_message(m, &bytes, protocol, &opts, &limits, pretty)?,
    };
    super::print_out(&format!("{text}\n"))?;
    Ok(())
}

/// `{"method","type","seq_id","body"}`.
fn decode_message(
    m: MethodDescriptor<'_>,
    bytes: &[u8],
    protocol: Protocol,
    opts: &Options,
    limits: &Limits,
    pretty: bool,
) -> anyhow::Result<String> {
    let env = read_envelope(bytes, protocol, limits).context("cannot read the message header")?;
    let h = env.header;
    if h.name != m.name() {
        return Err(anyhow!(
            "the message is for method `{}`, not `{}`",
            h.name,
            m.name()
        ));
    }
    let body_bytes = &bytes[env.body..];
    let body = match h.message_type {
        MessageType::Call | MessageType::Oneway => {
            decode_args_json(m, body_bytes, protocol, opts, limits, false)?
        }
        MessageType::Reply => {
            decode_struct_json(m.result(), body_bytes, protocol, opts, limits, false)?.0
        }
        MessageType::Exception => {
            let mut r = ProtocolReader::new(protocol, body_bytes, *limits);
            let ex = TApplicationException::read(&mut r)?;
            serde_json::json!({"type": ex.kind().0, "message": ex.message()}).to_string()
        }
    };
    let doc = serde_json::json!({
        "method": h.name,
        "type": h.message_type.name(),
        "seq_id": h.seq_id,
        "body": serde_json::from_str::<serde_json::Value>(&body)?,
    });
    Ok(if pretty {
        serde_json::to_string_pretty(&doc)?
    } else {
        doc.to_string()
    })
}
