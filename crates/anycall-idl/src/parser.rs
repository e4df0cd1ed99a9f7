//! Recursive-descent parser from tokens to [`crate::ast::Document`].
