//! Named decoder limits.

/// Limits every decoder checks before it allocates or recurses.
///
/// | limit | default |
/// |---|---|
/// | `max_depth` | 64 (nested structs and containers; pilota's skip depth, Kitex's recursion depth) |
/// | `max_container_len` | 1,048,576 elements in one list, set or map |
/// | `max_string_len` | 16 MiB in one string or binary |
/// | `max_message_size` | 16 MiB in one message |
/// | `decoded_memory_factor`, `decoded_memory_base` | 64, 1 MiB: a decoded [`Value`](crate::Value) (or JSON text) may take 64 × the message's bytes + 1 MiB |
///
/// The decoded-memory budget ([`Limits::decoded_memory_for`]) counts what a
/// decoder builds, not the bytes it reads: 32 bytes per `Value`, 56 per
/// struct field, the bytes of strings longer than 24 and of binaries, the
/// capacity of containers before they are allocated. The factor is the
/// densest input that is not an attack: in the compact protocol a bool
/// struct field is one byte, and it decodes to 56. Without the budget a
/// list of empty structs (one byte each) with many fields decoded to
/// hundreds of times its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of structs and containers. Default 64.
    pub max_depth: usize,
    /// Maximum elements in one list, set or map. Default 1,048,576.
    pub max_container_len: usize,
    /// Maximum bytes in one string or binary value. Default 16 MiB.
    pub max_string_len: usize,
    /// Maximum bytes in one message. Default 16 MiB.
    pub max_message_size: usize,
    /// Bytes of decoded memory allowed per byte of message. Default 64.
    pub decoded_memory_factor: usize,
    /// Bytes of decoded memory allowed for any message, on top of the
    /// factor. Default 1 MiB.
    pub decoded_memory_base: usize,
}

/// Default nesting depth limit.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default container length limit.
pub const DEFAULT_MAX_CONTAINER_LEN: usize = 1 << 20;
/// Default string length limit.
pub const DEFAULT_MAX_STRING_LEN: usize = 16 << 20;
/// Default message size limit.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;
/// Default [`Limits::decoded_memory_factor`].
pub const DEFAULT_DECODED_MEMORY_FACTOR: usize = 64;
/// Default [`Limits::decoded_memory_base`].
pub const DEFAULT_DECODED_MEMORY_BASE: usize = 1 << 20;

impl Limits {
    /// The decoded memory allowed for a message of `message_len` bytes:
    /// `decoded_memory_base + decoded_memory_factor × message_len`.
    pub fn decoded_memory_for(&self, message_len: usize) -> usize {
        self.decoded_memory_factor
            .saturating_mul(message_len)
            .saturating_add(self.decoded_memory_base)
    }

    /// No limit at all (for bytes this process just wrote).
    pub(crate) const fn unlimited() -> Self {
        Self {
            max_depth: usize::MAX,
            max_container_len: usize::MAX,
            max_string_len: usize::MAX,
            max_message_size: usize::MAX,
            decoded_memory_factor: usize::MAX,
            decoded_memory_base: usize::MAX,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_container_len: DEFAULT_MAX_CONTAINER_LEN,
            max_string_len: DEFAULT_MAX_STRING_LEN,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            decoded_memory_factor: DEFAULT_DECODED_MEMORY_FACTOR,
            decoded_memory_base: DEFAULT_DECODED_MEMORY_BASE,
        }
    }
}
