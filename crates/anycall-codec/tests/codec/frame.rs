//! Transport frame codecs: golden bytes and limits.
