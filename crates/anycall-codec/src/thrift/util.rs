//! Checks and cold error constructors shared by both protocols.

use crate::error::{Error, ErrorKind, Limit, Result};
use crate::limits::Limits;

#[cold]
#[inline(never)]
pub(crate) fn truncated(what: &str) -> Error {
    Error::truncated(what)
}

#[cold]
#[inline(never)]
pub(crate) fn negative_len(what: &str, len: i64) -> Error {
    Error::invalid(format!("negative {what} length {len}"))
}

#[cold]
#[inline(never)]
pub(crate) fn not_utf8(what: &str) -> Error {
    Error::invalid(format!("{what} is not valid utf-8"))
}

#[cold]
#[inline(never)]
pub(crate) fn depth_exceeded(depth: usize, max: usize) -> Error {
    Error::limit(Limit::Depth, depth, max)
}

#[cold]
#[inline(never)]
fn string_too_long(len: usize, max: usize) -> Error {
    Error::limit(Limit::StringLength, len, max)
}

#[cold]
#[inline(never)]
fn container_too_long(len: usize, max: usize) -> Error {
    Error::limit(Limit::ContainerLength, len, max)
}

#[cold]
#[inline(never)]
fn container_truncated(len: usize, need: usize, remaining: usize) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!("container of {len} elements needs at least {need} bytes but {remaining} remain"),
    )
}

/// Checks a string/binary length against the limit and the bytes left.
#[inline]
pub(crate) fn check_string_len(len: usize, remaining: usize, limits: &Limits) -> Result<()> {
    if len > limits.max_string_len {
        return Err(string_too_long(len, limits.max_string_len));
    }
    if len > remaining {
        return Err(truncated("string"));
    }
    Ok(())
}

/// Checks a container length against the limit and against the bytes left,
/// given the smallest encoding of one element (or one map entry).
#[inline]
pub(crate) fn check_container_len(
    len: usize,
    min_elem_bytes: usize,
    remaining: usize,
    limits: &Limits,
) -> Result<()> {
    if len > limits.max_container_len {
        return Err(container_too_long(len, limits.max_container_len));
    }
    let need = len.saturating_mul(min_elem_bytes);
    if need > remaining {
        return Err(container_truncated(len, need, remaining));
    }
    Ok(())
}

/// Converts a string length for the wire.
#[inline]
pub(crate) fn string_len_i32(len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| string_too_long(len, i32::MAX as usize))
}

/// Converts a container length for the wire.
#[inline]
pub(crate) fn container_len_i32(len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| container_too_long(len, i32::MAX as usize))
}
