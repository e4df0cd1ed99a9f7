//! Response mapping: a REPLY message rendered straight from its bytes into
//! status, headers, cookies and a JSON body, per the method's [`RespPlan`].
//! Body values are written by the codec's `JsonView` from their byte
//! ranges; header, cookie and status values are read as scalars.
//!
//! A declared exception is rendered like a success struct (its fields into
//! headers and body by their own annotations), with the status of its
//! `api.http_code` field, else 500, and an `anycall-exception` header
//! naming the `throws` field.

use anycall_codec::call::read_envelope;
use anycall_codec::dynamic::json::{JsonView, to_json_writer};
use anycall_codec::thrift::{Protocol, ProtocolReader, Reader, TType};
use anycall_codec::{Limits, Options};
use anycall_idl::{Pool, TypeDescriptor, TypeKind};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, header};

use crate::error::HttpError;
use crate::plan::{RespPlan, Success, Target};

/// What [`render`] needs to know about the method.
pub(crate) struct Shape<'e> {
    pub(crate) success: &'e Success,
    pub(crate) exceptions: &'e [(i16, String, RespPlan)],
}

fn bad_reply(e: impl std::fmt::Display) -> HttpError {
    HttpError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_error",
        format!("invalid reply from the upstream: {e}"),
    )
}

/// Renders a REPLY message (after the envelope check by the client).
pub(crate) fn render(
    shape: &Shape<'_>,
    pool: &Pool,
    reply: &[u8],
    protocol: Protocol,
    opts: &Options,
) -> Result<http::Response<Bytes>, HttpError> {
    let limits = Limits::default();
    let env = read_envelope(reply, protocol, &limits).map_err(bad_reply)?;
    let body = &reply[env.body..];
    let mut r = ProtocolReader::new(protocol, body, limits);
    r.read_struct_begin().map_err(bad_reply)?;
    while let Some((tt, id)) = r.read_field_begin().map_err(bad_reply)? {
        if tt == TType::Bool {
            let v = r.read_bool().map_err(bad_reply)?;
            if id == 0 && matches!(shape.success, Success::Value(_)) {
                let text = if v { "true" } else { "false" };
                return Ok(json_response(StatusCode::OK, text.as_bytes().to_vec()));
            }
            continue;
        }
        let start = r.position();
        r.skip(tt).map_err(bad_reply)?;
        let slice = &body[start..r.position()];
        if id == 0 {
            match shape.success {
                Success::Struct(plan) if tt == TType::Struct => {
                    return render_struct(plan, pool, slice, protocol, opts, StatusCode::OK);
                }
                Success::Value(ty) if tt == TType::of(pool.type_by_id(*ty)) => {
                    let mut out = Vec::with_capacity(slice.len() * 2);
                    let view = JsonView::new(slice, protocol, pool.type_by_id(*ty), *opts);
                    to_json_writer(&view, &mut out, false).map_err(bad_reply)?;
                    return Ok(json_response(StatusCode::OK, out));
                }
                _ => continue,
            }
        }
        if let Some((_, name, plan)) = shape.exceptions.iter().find(|(eid, _, _)| *eid == id)
            && tt == TType::Struct
        {
            let mut resp = render_struct(
                plan,
                pool,
                slice,
                protocol,
                opts,
                StatusCode::INTERNAL_SERVER_ERROR,
            )?;
            if let Ok(v) = HeaderValue::try_from(name.as_str()) {
                resp.headers_mut()
                    .insert(HeaderName::from_static("anycall-exception"), v);
            }
            return Ok(resp);
        }
    }
    match shape.success {
        Success::Void => Ok(json_response(StatusCode::OK, b"{}".to_vec())),
        _ => Err(bad_reply("the reply has no result")),
    }
}

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> http::Response<Bytes> {
    let mut resp = http::Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn render_struct(
    plan: &RespPlan,
    pool: &Pool,
    bytes: &[u8],
    protocol: Protocol,
    opts: &Options,
    default_status: StatusCode,
) -> Result<http::Response<Bytes>, HttpError> {
    if plan.passthrough
        && let Some(desc) = plan.desc.map(|id| pool.struct_by_id(id))
    {
        let mut out = Vec::with_capacity(bytes.len() * 2 + 2);
        let view = JsonView::new_struct(bytes, protocol, desc, *opts);
        to_json_writer(&view, &mut out, false).map_err(bad_reply)?;
        return Ok(json_response(default_status, out));
    }
    let limits = Limits::default();
    let mut r = ProtocolReader::new(protocol, bytes, limits);
    r.read_struct_begin().map_err(bad_reply)?;
    let mut status = default_status;
    let mut headers = http::HeaderMap::new();
    let mut out = Vec::with_capacity(bytes.len() * 2 + 2);
    out.push(b'{');
    let mut first = true;
    while let Some((tt, id)) = r.read_field_begin().map_err(bad_reply)? {
        if tt == TType::Bool {
            // Compact keeps a bool field's value in its field header: read
            // it here rather than from a byte range.
            let v = if r.read_bool().map_err(bad_reply)? {
                "true"
            } else {
                "false"
            };
            match plan
                .field(id)
                .filter(|f| f.ttype == tt)
                .map(|f| (f, &f.target))
            {
                Some((f, Target::Body)) => {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(f.key_json.as_bytes());
                    out.extend_from_slice(v.as_bytes());
                }
                Some((_, Target::Header(name))) => {
                    headers.append(name.clone(), HeaderValue::from_static(v));
                }
                Some((_, Target::Cookie(name))) => {
                    if let Ok(h) = HeaderValue::try_from(format!("{name}={v}")) {
                        headers.append(header::SET_COOKIE, h);
                    }
                }
                _ => {}
            }
            continue;
        }
        let start = r.position();
        r.skip(tt).map_err(bad_reply)?;
        let slice = &bytes[start..r.position()];
        let Some(f) = plan.field(id).filter(|f| f.ttype == tt) else {
            continue;
        };
        let ty = pool.type_by_id(f.ty);
        match &f.target {
            Target::None => {}
            Target::Body => {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(f.key_json.as_bytes());
                let mut o = *opts;
                o.i64_as_string |= f.js_conv;
                let view = JsonView::new(slice, protocol, ty, o);
                to_json_writer(&view, &mut out, false).map_err(bad_reply)?;
            }
            Target::Header(name) => {
                let text = value_text(slice, protocol, ty, opts)?;
                match HeaderValue::try_from(text) {
                    Ok(v) => {
                        headers.append(name.clone(), v);
                    }
                    Err(_) => {
                        tracing::debug!(header = %name, "reply value is not a valid header value; dropped")
                    }
                }
            }
            Target::Cookie(name) => {
                let text = value_text(slice, protocol, ty, opts)?;
                match HeaderValue::try_from(format!("{name}={text}")) {
                    Ok(v) => {
                        headers.append(header::SET_COOKIE, v);
                    }
                    Err(_) => {
                        tracing::debug!(cookie = %name, "reply value is not a valid cookie; dropped")
                    }
                }
            }
            Target::HttpCode => {
                let code = int_of(slice, protocol, tt)?;
                status = u16::try_from(code)
                    .ok()
                    .filter(|c| (100..=999).contains(c))
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .ok_or_else(|| {
                        HttpError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "bad_response",
                            format!("the reply's http_code {code} is not an HTTP status"),
                        )
                    })?;
            }
        }
    }
    out.push(b'}');
    let mut resp = json_response(status, out);
    resp.headers_mut().extend(headers);
    Ok(resp)
}

fn int_of(slice: &[u8], protocol: Protocol, tt: TType) -> Result<i64, HttpError> {
    let mut r = ProtocolReader::new(protocol, slice, Limits::default());
    Ok(match tt {
        TType::I8 => r.read_i8().map_err(bad_reply)?.into(),
        TType::I16 => r.read_i16().map_err(bad_reply)?.into(),
        TType::I32 => r.read_i32().map_err(bad_reply)?.into(),
        TType::I64 => r.read_i64().map_err(bad_reply)?,
        _ => {
            return Err(HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "bad_response",
                "the reply's http_code is not an integer",
            ));
        }
    })
}

/// The text of a value for a header or cookie: scalars as text, lists and
/// sets of scalars comma-joined (as Kitex), other values as JSON.
fn value_text(
    slice: &[u8],
    protocol: Protocol,
    ty: TypeDescriptor<'_>,
    opts: &Options,
) -> Result<String, HttpError> {
    let mut r = ProtocolReader::new(protocol, slice, Limits::default());
    let mut out = String::new();
    match ty.kind() {
        TypeKind::List(e) | TypeKind::Set(e) if is_scalar(e) => {
            let (_, n) = if matches!(ty.kind(), TypeKind::List(_)) {
                r.read_list_begin().map_err(bad_reply)?
            } else {
                r.read_set_begin().map_err(bad_reply)?
            };
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                scalar_text(&mut r, e, &mut out)?;
            }
        }
        _ if is_scalar(ty) => scalar_text(&mut r, ty, &mut out)?,
        _ => {
            let mut buf = Vec::new();
            let view = JsonView::new(slice, protocol, ty, *opts);
            to_json_writer(&view, &mut buf, false).map_err(bad_reply)?;
            out = String::from_utf8_lossy(&buf).into_owned();
        }
    }
    Ok(out)
}

fn is_scalar(ty: TypeDescriptor<'_>) -> bool {
    !matches!(
        ty.kind(),
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_)
    )
}

fn scalar_text<'a>(
    r: &mut ProtocolReader<'a>,
    ty: TypeDescriptor<'_>,
    out: &mut String,
) -> Result<(), HttpError> {
    match ty.kind() {
        TypeKind::Bool => out.push_str(if r.read_bool().map_err(bad_reply)? {
            "true"
        } else {
            "false"
        }),
        TypeKind::Byte => out.push_str(itoa::Buffer::new().format(r.read_i8().map_err(bad_reply)?)),
        TypeKind::I16 => out.push_str(itoa::Buffer::new().format(r.read_i16().map_err(bad_reply)?)),
        TypeKind::I32 | TypeKind::Enum(_) => {
            out.push_str(itoa::Buffer::new().format(r.read_i32().map_err(bad_reply)?));
        }
        TypeKind::I64 => out.push_str(itoa::Buffer::new().format(r.read_i64().map_err(bad_reply)?)),
        TypeKind::Double => {
            let d = r.read_double().map_err(bad_reply)?;
            if d.is_finite() {
                out.push_str(ryu::Buffer::new().format_finite(d));
            } else {
                out.push_str(&d.to_string());
            }
        }
        TypeKind::String => out.push_str(&String::from_utf8_lossy(
            r.read_binary().map_err(bad_reply)?,
        )),
        TypeKind::Binary => out.push_str(
            &base64::engine::general_purpose::STANDARD.encode(r.read_binary().map_err(bad_reply)?),
        ),
        TypeKind::Uuid => {
            let u = r.read_uuid().map_err(bad_reply)?;
            let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ));
        }
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
            return Err(bad_reply("not a scalar"));
        }
    }
    Ok(())
}
