//! Tokens of the Thrift IDL grammar.
