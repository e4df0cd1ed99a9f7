//! The Kitex TTHeader: model, constants and the header-area codec.
//!
//! Layout (spec/wire-format.md §3.4; all integers big-endian):
//!
//! ```text
//!  0               4       6       8               12      14
//! +---------------+-------+-------+---------------+-------+----------------------+---------+
//! | LENGTH (u32)  | 10 00 | FLAGS | SEQUENCE (i32)| HSIZE | header area          | payload |
//! +---------------+-------+-------+---------------+-------+----------------------+---------+
//!   bytes after     magic   u16     seq id / stream  u16    HSIZE * 4 bytes
//!   this field                      id                      (from offset 14)
//!
//! header area:
//! +-------------+------------+-----------------+-------------------------+-------------+
//! | PROTOCOL ID | NUM TRANSF | transform ids.. | info blocks ..........  | 00 padding  |
//! |     u8      |     u8     | NUM TRANSF x u8 | u8 INFO ID + data, ...  | to 4 bytes  |
//! +-------------+------------+-----------------+-------------------------+-------------+
//!
//! info blocks (lengths and counts are u16):
//!   0x00 INFO_PADDING      nothing (skipped byte by byte)
//!   0x01 INFO_KEYVALUE     count, count x (klen, key, vlen, value)
//!   0x10 INFO_INTKEYVALUE  count, count x (u16 key, vlen, value)
//!   0x11 INFO_ACL_TOKEN    len, token
//! ```
//!
//! # Sequence ids
//!
//! Kitex writes the RPC sequence id in the SEQUENCE field; TTHeader Streaming
//! writes the stream id there. The sequence id inside the Thrift message is
//! authoritative: Kitex only logs a warning when a reply's TTHeader sequence
//! differs. A server echoes the *request payload's* sequence id in both the
//! reply message and the reply TTHeader (spec §3.4.3).

use std::collections::BTreeMap;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::{Error, Result};

/// The TTHeader magic, bytes 4..6 of a frame (`10 00`).
pub const TTHEADER_MAGIC: u16 = 0x1000;
/// Apache THeader's magic (`0f ff`): same outer shape, not compatible, rejected.
pub const APACHE_THEADER_MAGIC: u16 = 0x0FFF;
/// Bytes before the header area: LENGTH, magic, flags, sequence, header size.
pub const TTHEADER_FIXED_SIZE: usize = 14;
/// The largest header area a u16 HEADER SIZE can describe (`4 * 65535`).
pub const MAX_HEADER_AREA_SIZE: usize = 4 * 65535;
/// The longest key, value or token a header can carry (u16 length).
pub const MAX_HEADER_STRING_LEN: usize = 65535;

/// Info id: one padding byte.
pub const INFO_PADDING: u8 = 0x00;
/// Info id: string key/value pairs.
pub const INFO_KEYVALUE: u8 = 0x01;
/// Info id: u16-keyed key/value pairs.
pub const INFO_INTKEYVALUE: u8 = 0x10;
/// Info id: the ACL token, one length-prefixed string.
pub const INFO_ACL_TOKEN: u8 = 0x11;

/// Header flag `HeaderFlagSupportOutOfOrder`.
pub const FLAG_SUPPORT_OUT_OF_ORDER: u16 = 0x0001;
/// Header flag `HeaderFlagsStreaming`: marks TTHeader Streaming frames
/// (spec §7.1); ping-pong frames must not set it.
pub const FLAG_STREAMING: u16 = 0x0002;
/// Header flag `HeaderFlagDuplexReverse`.
pub const FLAG_DUPLEX_REVERSE: u16 = 0x0008;
/// Header flag `HeaderFlagSASL`.
pub const FLAG_SASL: u16 = 0x0010;

/// Transform id ZLIB: documented by Kitex as reserved; nobody applies it.
pub const TRANSFORM_ZLIB: u8 = 0x01;
/// Transform id SNAPPY: documented by Kitex as reserved; nobody applies it.
pub const TRANSFORM_SNAPPY: u8 = 0x03;

/// The PROTOCOL ID byte (spec §3.4).
///
/// Decoding accepts every listed value. Kitex rejects [`ThriftCompact`]
/// (`0x02`), which Volo writes for compact payloads, so never send it to Kitex.
///
/// [`ThriftCompact`]: ProtocolId::ThriftCompact
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolId {
    /// `0x00`, Thrift binary. Kitex writes it for every ping-pong payload,
    /// Kitex protobuf included.
    #[default]
    ThriftBinary,
    /// `0x02`, Apache Thrift compact (Volo; rejected by Kitex).
    ThriftCompact,
    /// `0x03`, fbthrift compact v2; accepted by Kitex for compatibility.
    ThriftCompactV2,
    /// `0x04`, Kitex protobuf.
    KitexProtobuf,
    /// `0x10`, TTHeader Streaming: a bare Thrift struct, no message header.
    ThriftStruct,
    /// `0x11`, TTHeader Streaming: a bare protobuf message.
    ProtobufStruct,
}

impl ProtocolId {
    /// The id for a wire byte, or `None` for an unsupported one.
    pub fn from_u8(byte: u8) -> Option<Self> {
        Some(match byte {
            0x00 => Self::ThriftBinary,
            0x02 => Self::ThriftCompact,
            0x03 => Self::ThriftCompactV2,
            0x04 => Self::KitexProtobuf,
            0x10 => Self::ThriftStruct,
            0x11 => Self::ProtobufStruct,
            _ => return None,
        })
    }

    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::ThriftBinary => 0x00,
            Self::ThriftCompact => 0x02,
            Self::ThriftCompactV2 => 0x03,
            Self::KitexProtobuf => 0x04,
            Self::ThriftStruct => 0x10,
            Self::ProtobufStruct => 0x11,
        }
    }

    /// Whether the payload is a bare struct without a message header
    /// (TTHeader Streaming).
    pub fn is_bare_struct(self) -> bool {
        matches!(self, Self::ThriftStruct | Self::ProtobufStruct)
    }
}

/// INTKEYVALUE keys (u16), as listed in spec §3.4.1 (gopkg `metakey.go`).
///
/// Values are strings on the wire; [`MSG_TYPE`](int_key::MSG_TYPE) is the
/// exception (see [`TTHeader::msg_type`]).
pub mod int_key {
    /// `MeshVersion`.
    pub const MESH_VERSION: u16 = 0;
    /// `TransportType`: `"framed"` or `"unframed"`.
    pub const TRANSPORT_TYPE: u16 = 1;
    /// `LogID`.
    pub const LOG_ID: u16 = 2;
    /// `FromService`: the caller's service name.
    pub const FROM_SERVICE: u16 = 3;
    /// `FromCluster`.
    pub const FROM_CLUSTER: u16 = 4;
    /// `FromIDC`.
    pub const FROM_IDC: u16 = 5;
    /// `ToService`: the callee's service name.
    pub const TO_SERVICE: u16 = 6;
    /// `ToCluster`.
    pub const TO_CLUSTER: u16 = 7;
    /// `ToIDC`.
    pub const TO_IDC: u16 = 8;
    /// `ToMethod`: the method name; required in every TTHeader Streaming frame.
    pub const TO_METHOD: u16 = 9;
    /// `Env`.
    pub const ENV: u16 = 10;
    /// `DestAddress`: `"ip:port"`.
    pub const DEST_ADDRESS: u16 = 11;
    /// `RPCTimeout`: decimal milliseconds as ASCII.
    pub const RPC_TIMEOUT: u16 = 12;
    /// `ReadTimeout`.
    pub const READ_TIMEOUT: u16 = 13;
    /// `RingHashKey`.
    pub const RING_HASH_KEY: u16 = 14;
    /// `DDPTag`.
    pub const DDP_TAG: u16 = 15;
    /// `WithMeshHeader` (Volo's `WithHeader`; Volo clients write `"3"`).
    pub const WITH_MESH_HEADER: u16 = 16;
    /// `ConnectTimeout`: decimal milliseconds.
    pub const CONNECT_TIMEOUT: u16 = 17;
    /// `SpanContext`.
    pub const SPAN_CONTEXT: u16 = 18;
    /// `ShortConnection`.
    pub const SHORT_CONNECTION: u16 = 19;
    /// `FromMethod`: the caller's method.
    pub const FROM_METHOD: u16 = 20;
    /// `StressTag`.
    pub const STRESS_TAG: u16 = 21;
    /// `MsgType`: Kitex writes ASCII decimal, a Volo server one raw byte.
    pub const MSG_TYPE: u16 = 22;
    /// `HTTPContentType`.
    pub const HTTP_CONTENT_TYPE: u16 = 23;
    /// `RawRingHashKey`.
    pub const RAW_RING_HASH_KEY: u16 = 24;
    /// `LBType`.
    pub const LB_TYPE: u16 = 25;
    /// `ClusterShardID` (gopkg only).
    pub const CLUSTER_SHARD_ID: u16 = 26;
    /// `FrameType`: TTHeader Streaming frame type, ASCII `"1"`..`"5"`
    /// (see [`stream_frame_type`](super::stream_frame_type)).
    pub const FRAME_TYPE: u16 = 27;

    const NAMES: [&str; 28] = [
        "MeshVersion",
        "TransportType",
        "LogID",
        "FromService",
        "FromCluster",
        "FromIDC",
        "ToService",
        "ToCluster",
        "ToIDC",
        "ToMethod",
        "Env",
        "DestAddress",
        "RPCTimeout",
        "ReadTimeout",
        "RingHashKey",
        "DDPTag",
        "WithMeshHeader",
        "ConnectTimeout",
        "SpanContext",
        "ShortConnection",
        "FromMethod",
        "StressTag",
        "MsgType",
        "HTTPContentType",
        "RawRingHashKey",
        "LBType",
        "ClusterShardID",
        "FrameType",
    ];

    /// The spec name of a key (`9` → `"ToMethod"`), or `None` for an unlisted one.
    pub fn name(key: u16) -> Option<&'static str> {
        NAMES.get(usize::from(key)).copied()
    }
}

/// TTHeader Streaming frame types, the values of
/// [`int_key::FRAME_TYPE`] (spec §7.2).
pub mod stream_frame_type {
    /// Meta frame (server to client).
    pub const META: &str = "1";
    /// Header frame: opens a stream, or carries response headers.
    pub const HEADER: &str = "2";
    /// Data frame: one bare struct.
    pub const DATA: &str = "3";
    /// Trailer frame: ends one side of the stream.
    pub const TRAILER: &str = "4";
    /// Rst frame: aborts the stream.
    pub const RST: &str = "5";
}

/// INFO_KEYVALUE string keys (spec §3.4.2).
pub mod str_key {
    /// IDL service name; routes calls on multi-service servers.
    pub const IDL_SERVICE_NAME: &str = "isn";
    /// Remote (peer) address.
    pub const REMOTE_ADDR: &str = "rip";
    /// To-cluster.
    pub const TO_CLUSTER: &str = "tc";
    /// To-IDC.
    pub const TO_IDC: &str = "ti";
    /// Perf timestamp: connection start.
    pub const PERF_CONN_START: &str = "pcs";
    /// Perf timestamp: connection end.
    pub const PERF_CONN_END: &str = "pce";
    /// Perf timestamp: send start.
    pub const PERF_SEND_START: &str = "pss";
    /// Perf timestamp: receive start.
    pub const PERF_RECV_START: &str = "prs";
    /// Perf timestamp: receive end.
    pub const PERF_RECV_END: &str = "pre";
    /// The server will reset the connection: stop reusing it (Volo sends `"1"`).
    pub const CONNECTION_READY_TO_RESET: &str = "crrst";
    /// `K_ProcessAtTime`.
    pub const PROCESS_AT_TIME: &str = "K_ProcessAtTime";
    /// Hex CRC32C (Castagnoli, big-endian) of everything after the TTHeader.
    pub const CRC32C: &str = "crc32c";
    /// Prefix of custom payload-validator checksums.
    pub const PAYLOAD_VALIDATOR_PREFIX: &str = "PV_";
    /// TTHeader Streaming cascading cancel path, e.g. `A,B,C` (Rst frames).
    pub const STREAM_CANCEL_PATH: &str = "ttscp";
    /// Business status code (decimal i32), server to client.
    pub const BIZ_STATUS: &str = "biz-status";
    /// Business status message.
    pub const BIZ_MESSAGE: &str = "biz-message";
    /// Business status extra: a JSON object of string to string.
    pub const BIZ_EXTRA: &str = "biz-extra";
    /// The ACL token as Kitex names it in its string map. On the wire it
    /// travels in its own [`INFO_ACL_TOKEN`](super::INFO_ACL_TOKEN) block,
    /// which [`TTHeader::acl_token`](super::TTHeader::acl_token) holds.
    pub const GDPR_TOKEN: &str = "RPC_TRANSIT_gdpr-token";
}

/// Metainfo key prefixes carried in INFO_KEYVALUE (spec §3.4.2).
///
/// Backward values (server to client) differ by peer: a Volo server writes
/// `RPC_BACKWARD_<K>`, a Kitex server writes `<K>` raw, without a prefix.
/// A Kitex client treats every string key of a response as backward
/// metainfo; a Volo client reads only the prefixed ones.
pub mod metainfo {
    /// Persistent metainfo, propagated along the whole call chain.
    pub const PREFIX_PERSISTENT: &str = "RPC_PERSIST_";
    /// Transient metainfo, one hop.
    pub const PREFIX_TRANSIENT: &str = "RPC_TRANSIT_";
    /// Transient metainfo received from upstream; recognised on read, never
    /// written by Kitex.
    pub const PREFIX_TRANSIENT_UPSTREAM: &str = "RPC_TRANSIT_UPSTREAM_";
    /// Backward metainfo as Volo writes it.
    pub const PREFIX_BACKWARD: &str = "RPC_BACKWARD_";
    /// HTTP/gRPC spelling of [`PREFIX_PERSISTENT`] (keys CGI-style:
    /// `ABC_DEF` becomes `abc-def`).
    pub const HTTP_PREFIX_PERSISTENT: &str = "rpc-persist-";
    /// HTTP/gRPC spelling of [`PREFIX_TRANSIENT`].
    pub const HTTP_PREFIX_TRANSIENT: &str = "rpc-transit-";
    /// HTTP/gRPC spelling of [`PREFIX_BACKWARD`].
    pub const HTTP_PREFIX_BACKWARD: &str = "rpc-backward-";
}

/// A decoded or to-be-encoded TTHeader (spec §3.4).
///
/// Maps are ordered, so encoding is deterministic (keys ascending); peers
/// write Go map order, so never depend on the order read.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TTHeader {
    /// FLAGS; see the `FLAG_*` constants. Ping-pong writes 0.
    pub flags: u16,
    /// SEQUENCE NUMBER: the RPC sequence id, or the stream id in TTHeader
    /// Streaming. See the module docs for which one a server echoes.
    pub seq_id: i32,
    /// PROTOCOL ID.
    pub protocol_id: ProtocolId,
    /// Transform ids. Kitex and Volo read and ignore them (nothing is
    /// decompressed), and never write any; keep this empty when sending.
    pub transform_ids: Vec<u8>,
    /// INFO_INTKEYVALUE pairs; keys in [`int_key`].
    pub int_kvs: BTreeMap<u16, Bytes>,
    /// INFO_KEYVALUE pairs; keys in [`str_key`] and [`metainfo`].
    pub str_kvs: BTreeMap<String, String>,
    /// INFO_ACL_TOKEN. Kitex maps it to and from the string key
    /// [`str_key::GDPR_TOKEN`]; this model keeps it apart.
    pub acl_token: Option<String>,
}

impl TTHeader {
    /// An empty ping-pong header with `seq_id`: flags 0, Thrift binary, no info.
    pub fn new(seq_id: i32) -> Self {
        Self {
            seq_id,
            ..Self::default()
        }
    }

    /// Whether the streaming flag (`0x0002`) is set.
    pub fn is_streaming(&self) -> bool {
        self.flags & FLAG_STREAMING != 0
    }

    /// Sets an int key to a string value, replacing any earlier one.
    pub fn insert_int(&mut self, key: u16, value: impl AsRef<[u8]>) -> &mut Self {
        self.insert_int_bytes(key, Bytes::copy_from_slice(value.as_ref()))
    }

    /// Sets an int key to `value` without copying it, replacing any
    /// earlier value (for values prepared once and sent on every call).
    pub fn insert_int_bytes(&mut self, key: u16, value: Bytes) -> &mut Self {
        self.int_kvs.insert(key, value);
        self
    }

    /// Sets a string key, replacing any earlier value.
    pub fn insert_str(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.str_kvs.insert(key.into(), value.into());
        self
    }

    /// An int key's value as UTF-8 text (`None` when absent or not UTF-8).
    pub fn int_str(&self, key: u16) -> Option<&str> {
        self.int_kvs
            .get(&key)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// A string key's value.
    pub fn str_value(&self, key: &str) -> Option<&str> {
        self.str_kvs.get(key).map(String::as_str)
    }

    /// The string pairs whose key starts with `prefix`, with the prefix
    /// removed (e.g. [`metainfo::PREFIX_PERSISTENT`]).
    pub fn str_kvs_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.str_kvs
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }

    /// The method name, int key [`int_key::TO_METHOD`].
    pub fn to_method(&self) -> Option<&str> {
        self.int_str(int_key::TO_METHOD)
    }

    /// The message type in int key [`int_key::MSG_TYPE`] (1 call, 2 reply,
    /// 3 exception, 4 oneway), or `None` when the key is absent.
    ///
    /// Accepts Kitex's ASCII decimal (`"2"`) and a Volo server's single raw
    /// byte (`0x02`).
    ///
    /// # Errors
    ///
    /// An invalid-data error when the value is neither.
    pub fn msg_type(&self) -> Result<Option<u8>> {
        let Some(value) = self.int_kvs.get(&int_key::MSG_TYPE) else {
            return Ok(None);
        };
        match value.as_ref() {
            [raw] if *raw <= 9 => Ok(Some(*raw)),
            text => std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.parse::<u8>().ok())
                .map(Some)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "ttheader msg type value {} is neither a decimal nor a single byte",
                        hex(text)
                    ))
                }),
        }
    }

    /// Sets int key [`int_key::MSG_TYPE`] the way Kitex writes it (ASCII decimal).
    pub fn set_msg_type(&mut self, msg_type: u8) -> &mut Self {
        self.insert_int_bytes(int_key::MSG_TYPE, Bytes::from(msg_type.to_string()))
    }

    /// Bytes this header occupies on the wire: the 14 fixed bytes plus the
    /// padded header area.
    ///
    /// # Errors
    ///
    /// When a string is longer than 65,535 bytes, a map holds more than
    /// 65,535 pairs, or the header area exceeds 262,140 bytes.
    pub fn encoded_len(&self) -> Result<usize> {
        Ok(TTHEADER_FIXED_SIZE + self.area_len()?)
    }

    /// The padded header-area length, validating every field that has a
    /// u8/u16 wire width.
    fn area_len(&self) -> Result<usize> {
        if self.transform_ids.len() > usize::from(u8::MAX) {
            return Err(Error::invalid(format!(
                "ttheader has {} transform ids, more than 255",
                self.transform_ids.len()
            )));
        }
        let mut len = 2 + self.transform_ids.len();
        if let Some(token) = &self.acl_token {
            len += 1 + string_len("acl token", token.as_bytes())?;
        }
        if !self.str_kvs.is_empty() {
            count_fits("string", self.str_kvs.len())?;
            len += 3;
            for (k, v) in &self.str_kvs {
                len += string_len("string key", k.as_bytes())?;
                len += string_len("string value", v.as_bytes())?;
            }
        }
        if !self.int_kvs.is_empty() {
            count_fits("int", self.int_kvs.len())?;
            len += 3;
            for v in self.int_kvs.values() {
                len += 2 + string_len("int value", v)?;
            }
        }
        let padded = len.next_multiple_of(4);
        if padded > MAX_HEADER_AREA_SIZE {
            return Err(Error::invalid(format!(
                "ttheader header area of {padded} bytes exceeds {MAX_HEADER_AREA_SIZE}"
            )));
        }
        Ok(padded)
    }

    /// Writes the 14 fixed bytes (LENGTH as a zero placeholder) and the
    /// padded header area. Nothing is written when it fails.
    ///
    /// Block order follows Kitex: ACL token, KEYVALUE, INTKEYVALUE, padding.
    pub(crate) fn write(&self, dst: &mut BytesMut) -> Result<()> {
        let area = self.area_len()?;
        dst.reserve(TTHEADER_FIXED_SIZE + area);
        let start = dst.len();
        dst.put_u32(0);
        dst.put_u16(TTHEADER_MAGIC);
        dst.put_u16(self.flags);
        dst.put_i32(self.seq_id);
        // area <= MAX_HEADER_AREA_SIZE, so the word count fits a u16.
        dst.put_u16(u16::try_from(area / 4).unwrap_or(u16::MAX));
        dst.put_u8(self.protocol_id.as_u8());
        dst.put_u8(u8::try_from(self.transform_ids.len()).unwrap_or(u8::MAX));
        dst.put_slice(&self.transform_ids);
        if let Some(token) = &self.acl_token {
            dst.put_u8(INFO_ACL_TOKEN);
            put_string(dst, token.as_bytes());
        }
        if !self.str_kvs.is_empty() {
            dst.put_u8(INFO_KEYVALUE);
            put_u16_len(dst, self.str_kvs.len());
            for (k, v) in &self.str_kvs {
                put_string(dst, k.as_bytes());
                put_string(dst, v.as_bytes());
            }
        }
        if !self.int_kvs.is_empty() {
            dst.put_u8(INFO_INTKEYVALUE);
            put_u16_len(dst, self.int_kvs.len());
            for (k, v) in &self.int_kvs {
                dst.put_u16(*k);
                put_string(dst, v);
            }
        }
        let written = dst.len() - start;
        dst.put_bytes(0, TTHEADER_FIXED_SIZE + area - written);
        Ok(())
    }

    /// Parses the header of a complete frame (`frame` starts at LENGTH and
    /// its length was already checked against HEADER SIZE). Returns the
    /// header and the payload offset. Int values are zero-copy slices of
    /// `frame`.
    pub(crate) fn parse(frame: &Bytes) -> Result<(Self, usize)> {
        let seq_id = i32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
        let flags = u16::from_be_bytes([frame[6], frame[7]]);
        let area_len = 4 * usize::from(u16::from_be_bytes([frame[12], frame[13]]));
        let end = TTHEADER_FIXED_SIZE + area_len;
        let mut r = AreaReader {
            frame,
            pos: TTHEADER_FIXED_SIZE,
            end,
        };
        let id = r.u8("protocol id")?;
        let protocol_id = ProtocolId::from_u8(id)
            .ok_or_else(|| Error::invalid(format!("unsupported ttheader protocol id {id:#04x}")))?;
        let transforms = usize::from(r.u8("transform count")?);
        let transform_ids = r.take(transforms, "transform ids")?.to_vec();
        let mut header = Self {
            flags,
            seq_id,
            protocol_id,
            transform_ids,
            ..Self::default()
        };
        while r.pos < r.end {
            match r.u8("info id")? {
                INFO_PADDING => {}
                INFO_KEYVALUE => {
                    let what = "INFO_KEYVALUE block";
                    for _ in 0..r.u16(what)? {
                        let key = utf8(&r.string(what)?, "string key")?;
                        let value = utf8(&r.string(what)?, "string value")?;
                        header.str_kvs.insert(key, value);
                    }
                }
                INFO_INTKEYVALUE => {
                    let what = "INFO_INTKEYVALUE block";
                    for _ in 0..r.u16(what)? {
                        let key = r.u16(what)?;
                        let value = r.string(what)?;
                        header.int_kvs.insert(key, value);
                    }
                }
                INFO_ACL_TOKEN => {
                    let token = r.string("INFO_ACL_TOKEN block")?;
                    header.acl_token = Some(utf8(&token, "acl token")?);
                }
                other => {
                    return Err(Error::invalid(format!(
                        "unknown ttheader info id {other:#04x}"
                    )));
                }
            }
        }
        Ok((header, end))
    }
}

impl fmt::Debug for TTHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct IntKvs<'a>(&'a BTreeMap<u16, Bytes>);
        impl fmt::Debug for IntKvs<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (k, v) in self.0 {
                    match std::str::from_utf8(v) {
                        Ok(text) => map.entry(k, &text),
                        Err(_) => map.entry(k, v),
                    };
                }
                map.finish()
            }
        }
        f.debug_struct("TTHeader")
            .field("flags", &format_args!("{:#06x}", self.flags))
            .field("seq_id", &self.seq_id)
            .field("protocol_id", &self.protocol_id)
            .field("transform_ids", &self.transform_ids)
            .field("int_kvs", &IntKvs(&self.int_kvs))
            .field("str_kvs", &self.str_kvs)
            .field("acl_token", &self.acl_token)
            .finish()
    }
}

/// Reads the header area of a complete frame; running past its end is
/// invalid data (the frame is whole, so more bytes will not help).
struct AreaReader<'a> {
    frame: &'a Bytes,
    pos: usize,
    end: usize,
}

impl AreaReader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        if self.end - self.pos < n {
            return Err(Error::invalid(format!(
                "ttheader {what} runs past the end of the header area"
            )));
        }
        let out = &self.frame[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A u16-length-prefixed string as a zero-copy slice of the frame.
    fn string(&mut self, what: &str) -> Result<Bytes> {
        let len = usize::from(self.u16(what)?);
        self.take(len, what)?;
        Ok(self.frame.slice(self.pos - len..self.pos))
    }
}

fn utf8(bytes: &[u8], what: &str) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::invalid(format!("ttheader {what} is not valid utf-8")))
}

fn string_len(what: &str, s: &[u8]) -> Result<usize> {
    if s.len() > MAX_HEADER_STRING_LEN {
        return Err(Error::invalid(format!(
            "ttheader {what} of {} bytes is longer than {MAX_HEADER_STRING_LEN}",
            s.len()
        )));
    }
    Ok(2 + s.len())
}

fn count_fits(what: &str, count: usize) -> Result<()> {
    if count > usize::from(u16::MAX) {
        return Err(Error::invalid(format!(
            "ttheader has {count} {what} pairs, more than 65535"
        )));
    }
    Ok(())
}

/// Writes a length already validated to fit a u16.
fn put_u16_len(dst: &mut BytesMut, len: usize) {
    dst.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
}

fn put_string(dst: &mut BytesMut, s: &[u8]) {
    put_u16_len(dst, s.len());
    dst.put_slice(s);
}

/// Space-separated lowercase hex, for error messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}
