//! Thrift protocols: Binary and Compact primitives, message envelope,
//! `TApplicationException`, skipping, message boundaries and seq ids.
//!
//! Byte layouts follow `spec/wire-format.md` §1 (Binary), §2 (Compact),
//! §8.1 (seq ids) and §9 (args/result wrappers). A message is a header and
//! one struct:
//!
//! ```text
//! ┌──────────────── header ────────────────┬──────────── struct ────────────┐
//! strict binary: 80 01 00 01 | 00 00 00 04 "Echo" | 00 00 00 01 | 0b 00 01 00 00 00 02 "hi" | 00
//!                version+type  name              seq id        field 1: string "hi"         STOP
//! compact:       82 | 21 | 01 | 04 "Echo" | 18 02 "hi" | 00
//!                id  type+ver seq  name     field 1     STOP
//! ```
//!
//! * [`Reader`] and [`Writer`] are the primitive interfaces, implemented by
//!   [`BinaryReader`]/[`BinaryWriter`] and [`CompactReader`]/[`CompactWriter`];
//!   write hot code generically over them. [`ProtocolReader`] and
//!   [`ProtocolWriter`] choose a [`Protocol`] at run time.
//! * [`MessageHeader`] is the envelope; [`TApplicationException`] the error
//!   struct of EXCEPTION messages.
//! * [`skip()`] skips a value, [`message_len`] / [`MessageScanner`] find where a
//!   message ends in an unframed stream, [`get_seq_id`] / [`set_seq_id`]
//!   patch the seq id of an encoded message.
//!
//! ```
//! use anycall_codec::thrift::{
//!     BinaryReader, BinaryWriter, MessageHeader, MessageType, Reader, TType, Writer,
//! };
//!
//! let mut buf = bytes::BytesMut::new();
//! let mut w = BinaryWriter::new(&mut buf);
//! w.write_message_begin(&MessageHeader::new("Echo", MessageType::Call, 1))?;
//! w.write_struct_begin();
//! w.write_field_begin(TType::Binary, 1)?;
//! w.write_string("hi")?;
//! w.write_field_stop();
//! w.write_struct_end();
//!
//! let mut r = BinaryReader::new(&buf);
//! assert_eq!(r.read_message_begin()?.name, "Echo");
//! r.read_struct_begin()?;
//! assert_eq!(r.read_field_begin()?, Some((TType::Binary, 1)));
//! assert_eq!(r.read_string()?, "hi");
//! # Ok::<(), anycall_codec::Error>(())
//! ```

// Each module documents its byte layout; everything is also re-exported here.
pub mod binary;
pub mod compact;
pub mod exception;
pub mod message;
pub mod reader;
pub(crate) mod room;
pub mod seq_id;
pub mod skip;
pub mod ttype;
pub(crate) mod util;
pub mod writer;

pub use binary::{BinaryReader, BinaryWriter};
pub use compact::{CompactReader, CompactWriter};
pub use exception::{TApplicationException, TApplicationExceptionType};
pub use message::{
    MessageHeader, MessageType, protocol_of, read_message_header, write_message_header,
};
pub use reader::{ProtocolReader, Reader};
pub use seq_id::{get_compact_seq_id, get_seq_id, put_with_seq_id, set_compact_seq_id, set_seq_id};
pub use skip::{MessageScanner, message_len, skip};
pub use ttype::{Protocol, TType};
pub use writer::{Mark, ProtocolWriter, Writer};
