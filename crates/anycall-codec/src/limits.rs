//! Named decoder limits.

/// Limits every decoder checks before it allocates or recurses.
///
/// | limit | default |
/// |---|---|
/// | `max_depth` | 64 (nested structs and containers; pilota's skip depth, Kitex's recursion depth) |
/// | `max_container_len` | 1,048,576 elements in one list, set or map |
/// | `max_string_len` | 16 MiB in one string or binary |
/// | `max_message_size` | 16 MiB in one message |
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
}

/// Default nesting depth limit.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default container length limit.
pub const DEFAULT_MAX_CONTAINER_LEN: usize = 1 << 20;
/// Default string length limit.
pub const DEFAULT_MAX_STRING_LEN: usize = 16 << 20;
/// Default message size limit.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            max_container_len: DEFAULT_MAX_CONTAINER_LEN,
            max_string_len: DEFAULT_MAX_STRING_LEN,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}
