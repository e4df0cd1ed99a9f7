//! Recursive-descent parser from tokens to [`crate::ast::Document`].
//!
//! The grammar is what Apache Thrift's `thrifty.yy` accepts, plus the
//! Kitex/thriftgo dialect (headers anywhere, annotations on namespaces,
//! keywords as field and annotation names):
//!
//! ```text
//! document   = { header | definition | ";" | "," }
//! header     = "include" STR | "cpp_include" STR | "namespace" (name | "*") name [annos]
//! definition = "typedef" type NAME [annos]
//!            | "const" type NAME "=" value [annos]
//!            | "enum" NAME "{" { name ["=" INT] [annos] [sep] } "}" [annos]
//!            | ("struct" | "union" | "exception") NAME "{" { field [sep] } "}" [annos]
//!            | "service" NAME ["extends" NAME] "{" { function [sep] } "}" [annos]
//! function   = ["oneway"] ("void" | type) name "(" { field [sep] } ")"
//!              ["throws" "(" { field [sep] } ")"] [annos]
//! field      = [INT ":"] ["required" | "optional"] type name ["=" value] [annos]
//! type       = (base | "list" "<" type ">" | "set" "<" type ">"
//!              | "map" "<" type "," type ">" | NAME) [annos]
//! value      = INT | DOUBLE | STR | NAME | "[" { value [sep] } "]"
//!            | "{" { value ":" value [sep] } "}"
//! annos      = "(" { name ["=" STR] [sep] } ")"
//! sep        = "," | ";"
//! ```
//!
//! The parser never stops at the first problem: it records a [`SyntaxError`],
//! skips to a point where parsing can resume (the next field, the closing
//! brace, the next definition) and carries on, so one run reports every
//! mistake it can find together with the partial document.

use logos::Logos;

use crate::ast::{
    Annotation, Const, ConstKind, ConstValue, Document, Enum, EnumValue, Field, Function, Ident,
    Item, Namespace, Requiredness, Service, StrLit, Struct, StructKind, Type, TypeKind, Typedef,
};
use crate::lexer::{self, LexError, Token};
use crate::span::Span;

/// How deeply container types (`list<list<...>>`) and constant values
/// (`[[...]]`, `{"k": {...}}`) may nest: 64 levels.
///
/// Deeper input is reported as a syntax error instead of overflowing the
/// stack.
pub(crate) const MAX_NESTING: usize = 64;

/// One syntax error: where, and what is wrong.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    /// The offending text (an empty span at the end for an unexpected end of file).
    pub(crate) span: Span,
    /// Lowercase, no trailing period.
    pub(crate) message: String,
}

/// Parses one IDL file.
///
/// Returns everything that could be parsed and every syntax error found, in
/// source order. Never panics, and runs in time linear in the input.
pub(crate) fn parse(text: &str) -> (Document, Vec<SyntaxError>) {
    let mut parser = Parser::new(text);
    let document = parser.document();
    let mut errors = parser.errors;
    errors.sort_by_key(|e| e.span.start);
    (document, errors)
}

/// Names that Thrift reserves for built-in types.
const BUILTIN_TYPES: &[&str] = &[
    "bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary", "uuid", "list", "set",
    "map",
];

/// A braced or parenthesised block, for messages and for knowing its closer.
#[derive(Debug, Clone, Copy)]
enum Block<'n> {
    Struct(StructKind, &'n str),
    Enum(&'n str),
    Service(&'n str),
    Params(&'n str),
    Throws(&'n str),
}

impl Block<'_> {
    fn close(self) -> Token {
        match self {
            Block::Struct(..) | Block::Enum(_) | Block::Service(_) => Token::RBrace,
            Block::Params(_) | Block::Throws(_) => Token::RParen,
        }
    }

    /// What is missing, e.g. `'}' to close struct 'Item'`.
    fn expectation(self) -> String {
        match self {
            Block::Struct(kind, name) => {
                let keyword = match kind {
                    StructKind::Struct => "struct",
                    StructKind::Union => "union",
                    StructKind::Exception => "exception",
                };
                format!("'}}' to close {keyword} '{name}'")
            }
            Block::Enum(name) => format!("'}}' to close enum '{name}'"),
            Block::Service(name) => format!("'}}' to close service '{name}'"),
            Block::Params(name) => format!("')' to close the parameters of '{name}'"),
            Block::Throws(name) => format!("')' to close the throws clause of '{name}'"),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    lexer: logos::Lexer<'a, Token>,
    /// The current (not yet consumed) token.
    tok: Token,
    /// Its span.
    span: Span,
    /// End of the last consumed token.
    prev_end: u32,
    /// Current nesting of container types and constant values.
    depth: usize,
    errors: Vec<SyntaxError>,
    /// The last error was an unexpected-character run that the next one may extend.
    bad_chars_open: bool,
    /// Scratch space for the fields of the blocks being parsed.
    field_stack: Vec<Field>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let mut parser = Parser {
            text,
            lexer: Token::lexer(text),
            tok: Token::Eof,
            span: Span::default(),
            prev_end: 0,
            depth: 0,
            errors: Vec::new(),
            bad_chars_open: false,
            field_stack: Vec::new(),
        };
        parser.advance();
        parser
    }

    // ----- tokens -----

    /// Consumes the current token.
    fn bump(&mut self) {
        self.prev_end = self.span.end;
        self.advance();
    }

    /// Reads the next token, reporting lexical errors on the way.
    fn advance(&mut self) {
        loop {
            let Some(result) = self.lexer.next() else {
                self.tok = Token::Eof;
                self.span = Span::new(self.text.len(), self.text.len());
                return;
            };
            let range = self.lexer.span();
            let span = Span::new(range.start, range.end);
            match result {
                Ok(tok) => {
                    self.tok = tok;
                    self.span = span;
                    return;
                }
                Err(LexError::UnterminatedString) => {
                    self.push_error(span, "unterminated string literal".into());
                    // Parse on as if the literal were closed.
                    self.tok = Token::Str;
                    self.span = span;
                    return;
                }
                Err(LexError::UnterminatedComment) => {
                    self.push_error(
                        Span::new(range.start, range.start + 2),
                        "unterminated block comment".into(),
                    );
                }
                Err(LexError::UnexpectedChar) => self.bad_char(span),
            }
        }
    }

    /// Reports an unexpected character, merging runs of them into one error.
    fn bad_char(&mut self, span: Span) {
        if self.bad_chars_open
            && let Some(last) = self.errors.last_mut()
            && last.span.end == span.start
        {
            last.span.end = span.end;
            last.message = format!(
                "unexpected characters '{}'",
                shorten(&self.text[last.span.range()])
            );
            return;
        }
        self.push_error(
            span,
            format!(
                "unexpected character '{}'",
                shorten(&self.text[span.range()])
            ),
        );
        self.bad_chars_open = true;
    }

    /// The next token after the current one, without consuming anything.
    fn peek(&self) -> Token {
        let mut lexer = self.lexer.clone();
        loop {
            match lexer.next() {
                None => return Token::Eof,
                Some(Ok(tok)) => return tok,
                Some(Err(LexError::UnterminatedString)) => return Token::Str,
                Some(Err(_)) => {}
            }
        }
    }

    /// The current token's text.
    fn slice(&self) -> &'a str {
        &self.text[self.span.range()]
    }

    fn eat(&mut self, tok: Token) -> bool {
        if self.tok == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `tok` or reports `expected {what}`.
    fn expect(&mut self, tok: Token, what: &str) -> bool {
        if self.eat(tok) {
            true
        } else {
            self.expected(what);
            false
        }
    }

    /// True when a newline separates the current token from the previous one.
    fn at_line_start(&self) -> bool {
        self.text
            .get(self.prev_end as usize..self.span.start as usize)
            .is_some_and(|gap| gap.contains('\n'))
    }

    /// True when the current token starts a new top-level definition rather
    /// than being a keyword used as a name (`service = "x"`, `struct,`).
    fn at_definition_start(&self) -> bool {
        self.tok.starts_definition()
            && !matches!(
                self.peek(),
                Token::Eq
                    | Token::Comma
                    | Token::Semi
                    | Token::Colon
                    | Token::LParen
                    | Token::RParen
                    | Token::RBrace
                    | Token::RBracket
            )
    }

    /// How the current token reads in a message.
    fn describe(&self) -> String {
        let text = shorten(self.slice());
        match self.tok {
            Token::Eof => "end of file".into(),
            Token::Ident => format!("identifier '{text}'"),
            Token::Int | Token::HexInt => format!("integer literal '{text}'"),
            Token::Double => format!("double literal '{text}'"),
            Token::Str => format!("string literal {text}"),
            tok if tok.is_keyword() => format!("keyword '{text}'"),
            _ => format!("'{text}'"),
        }
    }

    // ----- errors -----

    fn push_error(&mut self, span: Span, message: String) {
        self.bad_chars_open = false;
        self.errors.push(SyntaxError { span, message });
    }

    /// Reports an error, unless one was already reported at the same place
    /// (a single mistake often trips several rules at one token).
    fn error(&mut self, span: Span, message: String) {
        if self
            .errors
            .last()
            .is_some_and(|e| e.span.start == span.start)
        {
            return;
        }
        self.push_error(span, message);
    }

    /// Reports `expected {what}, found {current token}` at the current token.
    fn expected(&mut self, what: &str) {
        let message = if self.tok == Token::Eof {
            format!("unexpected end of file, expected {what}")
        } else {
            format!("expected {what}, found {}", self.describe())
        };
        self.error(self.span, message);
    }

    // ----- recovery -----

    /// After a bad top-level item that began at `start`: skips to the next
    /// definition keyword.
    fn recover_top_level(&mut self, start: u32) {
        let mut depth = 0usize;
        loop {
            match self.tok {
                Token::Eof => return,
                tok if tok.starts_definition()
                    && self.span.start > start
                    && (depth == 0 || self.at_line_start()) =>
                {
                    return;
                }
                Token::LBrace | Token::LParen | Token::LBracket => depth += 1,
                Token::RBrace | Token::RParen | Token::RBracket => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// After a bad member of a block closed by `close` that began at `start`:
    /// skips past the next separator, or up to the closer, a `}`, the next
    /// line that can start a member, or the next definition.
    ///
    /// Always consumes at least one token unless it stops at a closer or the
    /// end of the input, so loops that call it make progress.
    fn recover_in_block(&mut self, start: u32, close: Token) {
        let mut depth = 0usize;
        loop {
            let progressed = self.span.start > start;
            match self.tok {
                Token::Eof => return,
                tok if depth == 0 && (tok == close || tok == Token::RBrace) => return,
                Token::Comma | Token::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                tok if progressed
                    && self.at_line_start()
                    && (tok.starts_definition() || (depth == 0 && can_start_member(tok))) =>
                {
                    return;
                }
                _ => {}
            }
            match self.tok {
                Token::LBrace | Token::LParen | Token::LBracket => depth += 1,
                Token::RBrace | Token::RParen | Token::RBracket => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Runs `f` one nesting level deeper, or reports that the limit is reached.
    fn nested<T>(&mut self, what: &str, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_NESTING {
            self.error(
                self.span,
                format!("{what} nested more than {MAX_NESTING} levels deep"),
            );
            return None;
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ----- terminals -----

    fn ident(&mut self) -> Ident {
        let ident = Ident {
            name: self.slice().to_owned(),
            span: self.span,
        };
        self.bump();
        ident
    }

    /// A name where keywords are allowed too (field, function, annotation names).
    fn name(&mut self, what: &str) -> Option<Ident> {
        if self.tok == Token::Ident || self.tok.is_keyword() {
            Some(self.ident())
        } else {
            self.expected(what);
            None
        }
    }

    /// The name of a new definition: an identifier that is not a built-in type.
    fn definition_name(&mut self, what: &str) -> Option<Ident> {
        if self.tok != Token::Ident {
            self.expected(what);
            return None;
        }
        let name = self.ident();
        if BUILTIN_TYPES.contains(&name.name.as_str()) {
            self.error(
                name.span,
                format!(
                    "'{}' is a built-in type and cannot name a definition",
                    name.name
                ),
            );
        }
        Some(name)
    }

    /// The current string literal, decoded.
    fn str_lit(&mut self) -> StrLit {
        let span = self.span;
        let base = span.start as usize;
        let errors = &mut self.errors;
        let value = lexer::decode_string(self.text.get(span.range()).unwrap_or(""), |e| {
            errors.push(SyntaxError {
                span: Span::new(base + e.range.start, base + e.range.end),
                message: e.message.into(),
            });
        });
        self.bump();
        StrLit { value, span }
    }

    /// The current integer literal's value; reports it when out of range.
    fn int_value(&mut self) -> Option<i64> {
        let value = parse_int(self.slice());
        if value.is_none() {
            self.error(self.span, "integer literal out of range for i64".into());
        }
        value
    }

    // ----- document -----

    fn document(&mut self) -> Document {
        let mut items = Vec::new();
        loop {
            let start = self.span.start;
            let item = match self.tok {
                Token::Eof => break,
                Token::Semi | Token::Comma => {
                    self.bump();
                    continue;
                }
                Token::Include => self.include(),
                Token::CppInclude => self.cpp_include(),
                Token::Namespace => self.namespace(),
                Token::Typedef => self.typedef(),
                Token::Const => self.constant(),
                Token::Enum => self.enumeration(),
                Token::Struct | Token::Union | Token::Exception => self.structure(),
                Token::Service => self.service(),
                _ => {
                    self.expected("a definition");
                    None
                }
            };
            match item {
                Some(item) => items.push(item),
                None => self.recover_top_level(start),
            }
        }
        Document { items }
    }

    fn include(&mut self) -> Option<Item> {
        self.bump();
        if self.tok != Token::Str {
            self.expected("a path string after 'include'");
            return None;
        }
        Some(Item::Include(self.str_lit()))
    }

    fn cpp_include(&mut self) -> Option<Item> {
        self.bump();
        if self.tok != Token::Str {
            self.expected("a path string after 'cpp_include'");
            return None;
        }
        Some(Item::CppInclude(self.str_lit()))
    }

    fn namespace(&mut self) -> Option<Item> {
        let start = self.span.start;
        self.bump();
        let scope = if self.tok == Token::Star {
            self.ident()
        } else {
            self.name("a namespace scope such as 'go' or '*'")?
        };
        let name = self.name("a namespace name")?;
        let annotations = self.annotations();
        Some(Item::Namespace(Namespace {
            scope,
            name,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn typedef(&mut self) -> Option<Item> {
        let start = self.span.start;
        self.bump();
        let ty = self.ty("a type after 'typedef'")?;
        let name = self.definition_name("a name for the typedef")?;
        let annotations = self.annotations();
        Some(Item::Typedef(Typedef {
            ty,
            name,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn constant(&mut self) -> Option<Item> {
        let start = self.span.start;
        self.bump();
        let ty = self.ty("a type after 'const'")?;
        let name = self.definition_name("a name for the constant")?;
        if !self.expect(Token::Eq, "'=' after the constant name") {
            return None;
        }
        let value = self.const_value()?;
        let annotations = self.annotations();
        Some(Item::Const(Const {
            ty,
            name,
            value,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn enumeration(&mut self) -> Option<Item> {
        let start = self.span.start;
        self.bump();
        let name = self.definition_name("a name for the enum")?;
        if !self.expect(Token::LBrace, "'{' after the enum name") {
            return None;
        }
        let mut values = Vec::new();
        self.block(Block::Enum(&name.name), |p| {
            let value = p.enum_value()?;
            values.push(value);
            Some(())
        });
        let annotations = self.annotations();
        Some(Item::Enum(Enum {
            name,
            values,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn enum_value(&mut self) -> Option<EnumValue> {
        let start = self.span.start;
        let name = self.name("an enum value name")?;
        let value = if self.eat(Token::Eq) {
            if !matches!(self.tok, Token::Int | Token::HexInt) {
                self.expected(&format!("an integer value for '{}'", name.name));
                return None;
            }
            let span = self.span;
            let value = self.int_value();
            self.bump();
            value.map(|v| (v, span))
        } else {
            None
        };
        let annotations = self.annotations();
        Some(EnumValue {
            name,
            value,
            annotations,
            span: self.span_from(start),
        })
    }

    fn structure(&mut self) -> Option<Item> {
        let start = self.span.start;
        let (kind, what) = match self.tok {
            Token::Union => (StructKind::Union, "a name for the union"),
            Token::Exception => (StructKind::Exception, "a name for the exception"),
            _ => (StructKind::Struct, "a name for the struct"),
        };
        self.bump();
        let name = self.definition_name(what)?;
        if !self.expect(Token::LBrace, "'{' after the name") {
            return None;
        }
        let fields = self.fields(Block::Struct(kind, &name.name));
        let annotations = self.annotations();
        Some(Item::Struct(Struct {
            kind,
            name,
            fields,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn service(&mut self) -> Option<Item> {
        let start = self.span.start;
        self.bump();
        let name = self.definition_name("a name for the service")?;
        let extends = if self.eat(Token::Extends) {
            if self.tok != Token::Ident {
                self.expected("a service name after 'extends'");
                return None;
            }
            Some(self.ident())
        } else {
            None
        };
        if !self.expect(Token::LBrace, "'{' after the service name") {
            return None;
        }
        let mut functions = Vec::new();
        self.block(Block::Service(&name.name), |p| {
            let function = p.function()?;
            functions.push(function);
            Some(())
        });
        let annotations = self.annotations();
        Some(Item::Service(Service {
            name,
            extends,
            functions,
            annotations,
            span: self.span_from(start),
        }))
    }

    fn function(&mut self) -> Option<Function> {
        let start = self.span.start;
        let oneway = self.eat(Token::Oneway);
        let returns = if self.eat(Token::Void) {
            None
        } else {
            Some(self.ty("a return type or 'void'")?)
        };
        let name = self.name("a function name")?;
        if !self.expect(Token::LParen, "'(' after the function name") {
            return None;
        }
        let params = self.fields(Block::Params(&name.name));
        let throws = if self.eat(Token::Throws) {
            if !self.expect(Token::LParen, "'(' after 'throws'") {
                return None;
            }
            self.fields(Block::Throws(&name.name))
        } else {
            Vec::new()
        };
        let annotations = self.annotations();
        Some(Function {
            oneway,
            returns,
            name,
            params,
            throws,
            annotations,
            span: self.span_from(start),
        })
    }

    /// The body of a block after its opening token: members parsed by
    /// `member` until the closer, with recovery after each bad member.
    fn block(&mut self, block: Block<'_>, mut member: impl FnMut(&mut Self) -> Option<()>) {
        let close = block.close();
        loop {
            match self.tok {
                tok if tok == close => {
                    self.bump();
                    return;
                }
                Token::Comma | Token::Semi => {
                    self.bump();
                    continue;
                }
                Token::Eof | Token::RBrace => {
                    self.expected(&block.expectation());
                    return;
                }
                // A parameter list left open runs into the next function.
                Token::Void | Token::Oneway if close == Token::RParen => {
                    self.expected(&block.expectation());
                    return;
                }
                _ if self.at_definition_start() => {
                    self.expected(&block.expectation());
                    return;
                }
                _ => {}
            }
            let start = self.span.start;
            if member(self).is_none() {
                self.recover_in_block(start, close);
            }
        }
    }

    fn fields(&mut self, block: Block<'_>) -> Vec<Field> {
        // Fields gather on a shared stack and leave it in one exact-size
        // allocation, instead of regrowing a fresh Vec for every struct.
        let mark = self.field_stack.len();
        self.block(block, |p| {
            let field = p.field()?;
            p.field_stack.push(field);
            Some(())
        });
        self.field_stack.drain(mark..).collect()
    }

    fn field(&mut self) -> Option<Field> {
        let start = self.span.start;
        let id = if matches!(self.tok, Token::Int | Token::HexInt) {
            let span = self.span;
            let id = self.int_value();
            self.bump();
            if !self.expect(Token::Colon, "':' after field id") {
                return None;
            }
            id.map(|id| (id, span))
        } else {
            None
        };
        let requiredness = if self.eat(Token::Required) {
            Requiredness::Required
        } else if self.eat(Token::Optional) {
            Requiredness::Optional
        } else {
            Requiredness::Default
        };
        let ty = self.ty("a type")?;
        // Apache's C++ reference marker: accepted and ignored.
        self.eat(Token::Amp);
        let name = self.name("a field name")?;
        let default = if self.eat(Token::Eq) {
            Some(self.const_value()?)
        } else {
            None
        };
        let annotations = self.annotations();
        Some(Field {
            id,
            requiredness,
            ty,
            name,
            default,
            annotations,
            span: self.span_from(start),
        })
    }

    // ----- types -----

    /// A type and the annotations written after it.
    fn ty(&mut self, what: &str) -> Option<Type> {
        if self.tok != Token::Ident {
            self.expected(what);
            return None;
        }
        let start = self.span.start;
        let kind = match self.slice() {
            "bool" => TypeKind::Bool,
            "byte" | "i8" => TypeKind::Byte,
            "i16" => TypeKind::I16,
            "i32" => TypeKind::I32,
            "i64" => TypeKind::I64,
            "double" => TypeKind::Double,
            "string" => TypeKind::String,
            "binary" => TypeKind::Binary,
            "uuid" => TypeKind::Uuid,
            "list" | "set" | "map" => return self.container(start),
            _ => {
                let name = self.ident();
                return Some(self.finish_type(TypeKind::Named(name), start));
            }
        };
        self.bump();
        Some(self.finish_type(kind, start))
    }

    fn finish_type(&mut self, kind: TypeKind, start: u32) -> Type {
        let span = self.span_from(start);
        let annotations = self.annotations();
        Type {
            kind,
            annotations,
            span,
        }
    }

    /// `list<T>`, `set<T>` or `map<K, V>`, with the current token the keyword.
    fn container(&mut self, start: u32) -> Option<Type> {
        let keyword = self.slice();
        self.bump();
        self.cpp_type();
        if !self.eat(Token::Lt) {
            self.expected(&format!("'<' after '{keyword}'"));
            return None;
        }
        let kind = self.nested("type", |p| {
            let first = p.ty("a type")?;
            if keyword != "map" {
                let first = Box::new(first);
                return Some(if keyword == "list" {
                    TypeKind::List(first)
                } else {
                    TypeKind::Set(first)
                });
            }
            if !p.eat(Token::Comma) {
                p.expected("',' between map key and value types");
            }
            let second = p.ty("a map value type")?;
            Some(TypeKind::Map(Box::new(first), Box::new(second)))
        })?;
        if !self.eat(Token::Gt) {
            self.expected(&format!("'>' to close '{keyword}<'"));
        }
        self.cpp_type();
        Some(self.finish_type(kind, start))
    }

    /// Skips a deprecated `cpp_type "..."` next to a container keyword.
    fn cpp_type(&mut self) {
        if self.tok == Token::Ident && self.slice() == "cpp_type" && self.peek() == Token::Str {
            self.bump();
            self.bump();
        }
    }

    // ----- constant values -----

    fn const_value(&mut self) -> Option<ConstValue> {
        let start = self.span.start;
        let kind = match self.tok {
            Token::Int | Token::HexInt => {
                let value = self.int_value()?;
                self.bump();
                ConstKind::Int(value)
            }
            Token::Double => {
                // The lexer only produces well-formed literals; huge ones become infinite.
                let value = self.slice().parse().unwrap_or(f64::NAN);
                self.bump();
                ConstKind::Double(value)
            }
            Token::Str => ConstKind::String(self.str_lit().value),
            Token::Ident => ConstKind::Ident(self.ident().name),
            Token::LBracket => self.nested("constant value", Self::const_list)?,
            Token::LBrace => self.nested("constant value", Self::const_map)?,
            _ => {
                self.expected("a constant value");
                return None;
            }
        };
        Some(ConstValue {
            kind,
            span: self.span_from(start),
        })
    }

    /// `[a, b, ...]`; an unclosed list is reported and kept.
    fn const_list(&mut self) -> Option<ConstKind> {
        self.bump();
        let mut items = Vec::new();
        loop {
            match self.tok {
                Token::RBracket => {
                    self.bump();
                    break;
                }
                Token::Comma | Token::Semi => {
                    self.bump();
                    continue;
                }
                Token::Eof | Token::RBrace | Token::RParen => {
                    self.expected("']' to close the list");
                    break;
                }
                _ if self.at_definition_start() => {
                    self.expected("']' to close the list");
                    break;
                }
                _ => {}
            }
            let start = self.span.start;
            match self.const_value() {
                Some(value) => items.push(value),
                None => self.recover_in_block(start, Token::RBracket),
            }
        }
        Some(ConstKind::List(items))
    }

    /// `{k: v, ...}`; an unclosed map is reported and kept.
    fn const_map(&mut self) -> Option<ConstKind> {
        self.bump();
        let mut entries = Vec::new();
        loop {
            match self.tok {
                Token::RBrace => {
                    self.bump();
                    break;
                }
                Token::Comma | Token::Semi => {
                    self.bump();
                    continue;
                }
                Token::Eof | Token::RBracket | Token::RParen => {
                    self.expected("'}' to close the map");
                    break;
                }
                _ if self.at_definition_start() => {
                    self.expected("'}' to close the map");
                    break;
                }
                _ => {}
            }
            let start = self.span.start;
            match self.map_entry() {
                Some(entry) => entries.push(entry),
                None => self.recover_in_block(start, Token::RBrace),
            }
        }
        Some(ConstKind::Map(entries))
    }

    fn map_entry(&mut self) -> Option<(ConstValue, ConstValue)> {
        let key = self.const_value()?;
        if !self.expect(Token::Colon, "':' after the map key") {
            return None;
        }
        let value = self.const_value()?;
        Some((key, value))
    }

    // ----- annotations -----

    /// `( key = "value", ... )` if the current token opens one; else nothing.
    fn annotations(&mut self) -> Vec<Annotation> {
        let mut annotations = Vec::new();
        if self.tok != Token::LParen {
            return annotations;
        }
        self.bump();
        loop {
            match self.tok {
                Token::RParen => {
                    self.bump();
                    break;
                }
                Token::Comma | Token::Semi => {
                    self.bump();
                    continue;
                }
                // A field id cannot be a key: the list was left open before
                // the next field.
                Token::Eof | Token::RBrace | Token::Int | Token::HexInt => {
                    self.expected("')' to close the annotations");
                    break;
                }
                _ if self.at_definition_start() => {
                    self.expected("')' to close the annotations");
                    break;
                }
                _ => {}
            }
            let start = self.span.start;
            match self.annotation() {
                Some(annotation) => annotations.push(annotation),
                None => self.recover_in_block(start, Token::RParen),
            }
        }
        annotations
    }

    fn annotation(&mut self) -> Option<Annotation> {
        let key = self.name("an annotation key")?;
        let value = if self.eat(Token::Eq) {
            if self.tok != Token::Str {
                self.expected(&format!("a string value for annotation '{}'", key.name));
                return None;
            }
            Some(self.str_lit())
        } else {
            None
        };
        Some(Annotation { key, value })
    }

    /// The span from `start` to the end of the last consumed token.
    fn span_from(&self, start: u32) -> Span {
        Span {
            start,
            end: self.prev_end.max(start),
        }
    }
}

/// Tokens that can begin a field, function, enum value, annotation or constant,
/// used to resume after an error at the start of a line.
fn can_start_member(tok: Token) -> bool {
    matches!(
        tok,
        Token::Ident
            | Token::Int
            | Token::HexInt
            | Token::Double
            | Token::Str
            | Token::Required
            | Token::Optional
            | Token::Oneway
            | Token::Void
    )
}

/// Parses a decimal or `0x` hex literal with optional sign; `None` when it
/// does not fit an i64.
fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = match digits.get(..2) {
        Some("0x" | "0X") => u128::from_str_radix(&digits[2..], 16).ok()?,
        _ => digits.parse::<u128>().ok()?,
    };
    let magnitude = i128::try_from(magnitude).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// At most 40 characters of `text` for a message, control characters escaped.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `src` and fails the test on any syntax error.
    fn parse_ok(src: &str) -> Document {
        let (document, errors) = parse(src);
        let messages: Vec<_> = errors
            .iter()
            .map(|e| (e.message.as_str(), &src[e.span.range()]))
            .collect();
        assert!(errors.is_empty(), "unexpected errors: {messages:?}");
        document
    }

    /// Every error as (message, spanned text).
    fn errors(src: &str) -> Vec<(String, &str)> {
        let (_, errors) = parse(src);
        errors
            .into_iter()
            .map(|e| (e.message, &src[e.span.range()]))
            .collect()
    }

    fn first_error(src: &str) -> (String, &str) {
        errors(src).into_iter().next().expect("an error")
    }

    fn at(src: &str, span: Span) -> &str {
        &src[span.range()]
    }

    fn only_struct(document: &Document) -> &Struct {
        match document.items.as_slice() {
            [Item::Struct(s)] => s,
            items => panic!("expected one struct, got {items:?}"),
        }
    }

    fn only_service(document: &Document) -> &Service {
        match document.items.as_slice() {
            [Item::Service(s)] => s,
            items => panic!("expected one service, got {items:?}"),
        }
    }

    fn consts(document: &Document) -> Vec<&Const> {
        document
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Const(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    fn names(document: &Document) -> Vec<&str> {
        document
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Typedef(t) => Some(t.name.name.as_str()),
                Item::Const(c) => Some(c.name.name.as_str()),
                Item::Enum(e) => Some(e.name.name.as_str()),
                Item::Struct(s) => Some(s.name.name.as_str()),
                Item::Service(s) => Some(s.name.name.as_str()),
                _ => None,
            })
            .collect()
    }

    fn annotation_pairs(annotations: &[Annotation]) -> Vec<(&str, Option<&str>)> {
        annotations
            .iter()
            .map(|a| {
                (
                    a.key.name.as_str(),
                    a.value.as_ref().map(|v| v.value.as_str()),
                )
            })
            .collect()
    }

    // ----- headers -----

    #[test]
    fn includes_in_both_quote_styles() {
        let src = "include \"base.thrift\"\ninclude 'sub/common.thrift'\ncpp_include \"<map>\"";
        let document = parse_ok(src);
        let [Item::Include(a), Item::Include(b), Item::CppInclude(c)] = document.items.as_slice()
        else {
            panic!("{document:?}");
        };
        assert_eq!(a.value, "base.thrift");
        assert_eq!(at(src, a.span), "\"base.thrift\"");
        assert_eq!(b.value, "sub/common.thrift");
        assert_eq!(at(src, b.span), "'sub/common.thrift'");
        assert_eq!(c.value, "<map>");
    }

    #[test]
    fn namespaces() {
        let src = "namespace go a.b\nnamespace rs x\nnamespace * life\n\
                   namespace py.twisted foo\nnamespace java com.x (k = \"v\")";
        let document = parse_ok(src);
        let namespaces: Vec<_> = document
            .items
            .iter()
            .map(|item| match item {
                Item::Namespace(n) => n,
                other => panic!("{other:?}"),
            })
            .collect();
        let pairs: Vec<_> = namespaces
            .iter()
            .map(|n| (n.scope.name.as_str(), n.name.name.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("go", "a.b"),
                ("rs", "x"),
                ("*", "life"),
                ("py.twisted", "foo"),
                ("java", "com.x")
            ]
        );
        assert_eq!(at(src, namespaces[0].span), "namespace go a.b");
        assert_eq!(at(src, namespaces[2].scope.span), "*");
        assert_eq!(
            annotation_pairs(&namespaces[4].annotations),
            [("k", Some("v"))]
        );
        assert_eq!(
            at(src, namespaces[4].span),
            "namespace java com.x (k = \"v\")"
        );
    }

    #[test]
    fn headers_anywhere_and_stray_separators() {
        let document = parse_ok("struct A {};\ninclude \"a.thrift\";;\nnamespace go x,\nenum E {}");
        assert_eq!(document.items.len(), 4);
        assert!(matches!(document.items[1], Item::Include(_)));
    }

    // ----- types -----

    #[test]
    fn base_types() {
        let src = "struct S { 1: bool a 2: byte b 3: i8 c 4: i16 d 5: i32 e 6: i64 f \
                   7: double g 8: string h 9: binary i 10: uuid j }";
        let document = parse_ok(src);
        let kinds: Vec<_> = only_struct(&document)
            .fields
            .iter()
            .map(|f| f.ty.kind.clone())
            .collect();
        assert_eq!(
            kinds,
            [
                TypeKind::Bool,
                TypeKind::Byte,
                TypeKind::Byte,
                TypeKind::I16,
                TypeKind::I32,
                TypeKind::I64,
                TypeKind::Double,
                TypeKind::String,
                TypeKind::Binary,
                TypeKind::Uuid,
            ]
        );
    }

    #[test]
    fn container_and_named_types() {
        let src = "typedef list<map<string, list<i32>>> Nested\n\
                   typedef set<common.Base> Bases\n\
                   typedef map<Item,i64> Counts";
        let document = parse_ok(src);
        let [
            Item::Typedef(nested),
            Item::Typedef(bases),
            Item::Typedef(counts),
        ] = document.items.as_slice()
        else {
            panic!("{document:?}");
        };
        assert_eq!(at(src, nested.ty.span), "list<map<string, list<i32>>>");
        assert_eq!(nested.name.name, "Nested");
        let TypeKind::List(inner) = &nested.ty.kind else {
            panic!("{nested:?}");
        };
        assert_eq!(at(src, inner.span), "map<string, list<i32>>");
        let TypeKind::Map(key, value) = &inner.kind else {
            panic!("{inner:?}");
        };
        assert_eq!(key.kind, TypeKind::String);
        assert_eq!(
            value.kind,
            TypeKind::List(Box::new(Type {
                kind: TypeKind::I32,
                annotations: vec![],
                span: Span::new(30, 33),
            }))
        );
        assert_eq!(at(src, Span::new(30, 33)), "i32");
        let TypeKind::Set(base) = &bases.ty.kind else {
            panic!("{bases:?}");
        };
        let TypeKind::Named(name) = &base.kind else {
            panic!("{base:?}");
        };
        assert_eq!(name.name, "common.Base");
        assert_eq!(at(src, name.span), "common.Base");
        assert!(matches!(&counts.ty.kind, TypeKind::Map(k, v)
            if matches!(&k.kind, TypeKind::Named(n) if n.name == "Item") && v.kind == TypeKind::I64));
    }

    #[test]
    fn type_annotations() {
        let src = "typedef binary (python.type = \"bytes\") Blob\n\
                   struct S { 1: optional i32 (agw.key=\"v\") f, 2: list<string (x = 'y')> g }";
        let document = parse_ok(src);
        let Item::Typedef(blob) = &document.items[0] else {
            panic!("{document:?}");
        };
        assert_eq!(blob.ty.kind, TypeKind::Binary);
        assert_eq!(at(src, blob.ty.span), "binary");
        assert_eq!(
            annotation_pairs(&blob.ty.annotations),
            [("python.type", Some("bytes"))]
        );
        assert_eq!(blob.name.name, "Blob");
        let Item::Struct(s) = &document.items[1] else {
            panic!("{document:?}");
        };
        assert_eq!(s.fields[0].requiredness, Requiredness::Optional);
        assert_eq!(
            annotation_pairs(&s.fields[0].ty.annotations),
            [("agw.key", Some("v"))]
        );
        assert!(s.fields[0].annotations.is_empty());
        assert_eq!(s.fields[0].name.name, "f");
        let TypeKind::List(element) = &s.fields[1].ty.kind else {
            panic!("{s:?}");
        };
        assert_eq!(annotation_pairs(&element.annotations), [("x", Some("y"))]);
    }

    #[test]
    fn deprecated_cpp_type_is_tolerated() {
        let src = "struct S { 1: map cpp_type \"Foo\" <i32,i32> m; \
                   2: list<i32> cpp_type \"std::vector<int>\" l; 3: set cpp_type 'X' <i8> s; \
                   4: list<i32> cpp_type }";
        let document = parse_ok(src);
        let s = only_struct(&document);
        let fields: Vec<_> = s.fields.iter().map(|f| f.name.name.as_str()).collect();
        assert_eq!(fields, ["m", "l", "s", "cpp_type"]);
        assert!(matches!(s.fields[0].ty.kind, TypeKind::Map(..)));
        assert_eq!(
            at(src, s.fields[1].ty.span),
            "list<i32> cpp_type \"std::vector<int>\""
        );
    }

    // ----- constants -----

    #[test]
    fn scalar_constants() {
        let src = "const i32 A = 1\nconst i64 B = -0x10\nconst i64 C = 0xFF\nconst i64 D = +7\n\
                   const double E = 1.5\nconst double F = -2.5e-3\nconst double G = 1e10\n\
                   const double H = .5\nconst string I = \"dq\"\nconst string J = 'sq'\n\
                   const bool K = true\nconst bool L = false\nconst Status M = Status.ACTIVE\n\
                   const i64 N = -9223372036854775808\nconst i64 O = 9223372036854775807";
        let document = parse_ok(src);
        let values: Vec<_> = consts(&document)
            .iter()
            .map(|c| c.value.kind.clone())
            .collect();
        assert_eq!(
            values,
            [
                ConstKind::Int(1),
                ConstKind::Int(-16),
                ConstKind::Int(255),
                ConstKind::Int(7),
                ConstKind::Double(1.5),
                ConstKind::Double(-2.5e-3),
                ConstKind::Double(1e10),
                ConstKind::Double(0.5),
                ConstKind::String("dq".into()),
                ConstKind::String("sq".into()),
                ConstKind::Ident("true".into()),
                ConstKind::Ident("false".into()),
                ConstKind::Ident("Status.ACTIVE".into()),
                ConstKind::Int(i64::MIN),
                ConstKind::Int(i64::MAX),
            ]
        );
        let first = consts(&document)[0];
        assert_eq!(at(src, first.span), "const i32 A = 1");
        assert_eq!(at(src, first.name.span), "A");
        assert_eq!(at(src, first.value.span), "1");
    }

    #[test]
    fn list_and_map_constants() {
        let src = "const list<i32> L = [1, 2, 3]\n\
                   const list<i32> T = [1; 2; 3;]\n\
                   const list<string> U = ['a' \"b\",]\n\
                   const list<i32> E = []\n\
                   const map<string, list<i32>> M = {\"a\": 1, \"b\": [1,2]; 'c': {}}\n\
                   const Item S = {\"name\": \"x\", \"tags\": [\"t\"], \"inner\": {\"id\": 1}}";
        let document = parse_ok(src);
        let consts = consts(&document);
        let ints = |v: &[i64]| {
            v.iter()
                .map(|&i| ConstKind::Int(i))
                .collect::<Vec<ConstKind>>()
        };
        let kinds = |value: &ConstValue| match &value.kind {
            ConstKind::List(items) => items.iter().map(|i| i.kind.clone()).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(kinds(&consts[0].value), ints(&[1, 2, 3]));
        assert_eq!(at(src, consts[0].value.span), "[1, 2, 3]");
        assert_eq!(kinds(&consts[1].value), ints(&[1, 2, 3]));
        assert_eq!(
            kinds(&consts[2].value),
            [ConstKind::String("a".into()), ConstKind::String("b".into())]
        );
        assert_eq!(kinds(&consts[3].value), []);
        let ConstKind::Map(entries) = &consts[4].value.kind else {
            panic!("{:?}", consts[4]);
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].0.kind, ConstKind::String("a".into()));
        assert_eq!(entries[0].1.kind, ConstKind::Int(1));
        assert_eq!(at(src, entries[1].1.span), "[1,2]");
        assert_eq!(entries[2].1.kind, ConstKind::Map(vec![]));
        let ConstKind::Map(fields) = &consts[5].value.kind else {
            panic!("{:?}", consts[5]);
        };
        assert_eq!(at(src, fields[2].1.span), "{\"id\": 1}");
    }

    #[test]
    fn constant_annotations() {
        let document = parse_ok("const i32 X = 5 (doc = \"five\")");
        assert_eq!(
            annotation_pairs(&consts(&document)[0].annotations),
            [("doc", Some("five"))]
        );
    }

    // ----- enums -----

    #[test]
    fn enums() {
        let src = "enum Status { A, B = 5, C = 0x10; D = -1 E (anno = \"x\"), } (e.k = 'v')";
        let document = parse_ok(src);
        let Item::Enum(e) = &document.items[0] else {
            panic!("{document:?}");
        };
        assert_eq!(e.name.name, "Status");
        let values: Vec<_> = e
            .values
            .iter()
            .map(|v| (v.name.name.as_str(), v.value.map(|(i, _)| i)))
            .collect();
        assert_eq!(
            values,
            [
                ("A", None),
                ("B", Some(5)),
                ("C", Some(16)),
                ("D", Some(-1)),
                ("E", None)
            ]
        );
        assert_eq!(at(src, e.values[2].span), "C = 0x10");
        assert_eq!(at(src, e.values[2].value.unwrap().1), "0x10");
        assert_eq!(at(src, e.values[4].span), "E (anno = \"x\")");
        assert_eq!(
            annotation_pairs(&e.values[4].annotations),
            [("anno", Some("x"))]
        );
        assert_eq!(annotation_pairs(&e.annotations), [("e.k", Some("v"))]);
        assert_eq!(at(src, e.span), src);
    }

    #[test]
    fn empty_enum_and_keyword_values() {
        let document = parse_ok("enum E {}\nenum F { required, void = 2 }");
        let Item::Enum(f) = &document.items[1] else {
            panic!("{document:?}");
        };
        assert_eq!(f.values[0].name.name, "required");
        assert_eq!(f.values[1].name.name, "void");
    }

    // ----- structs -----

    #[test]
    fn struct_fields() {
        let src = "struct Item {\n\
                   1: required string name = \"x\" (go.tag = 'json:\\\"name\\\"'),\n\
                   2: optional i64 id;\n\
                   3: list<Item> children\n\
                   string no_id\n\
                   -1: i32 negative\n\
                   0x10: bool hex_id = true,\n\
                   }";
        let document = parse_ok(src);
        let s = only_struct(&document);
        assert_eq!(s.kind, StructKind::Struct);
        assert_eq!(s.name.name, "Item");
        assert_eq!(at(src, s.name.span), "Item");
        let fields: Vec<_> = s
            .fields
            .iter()
            .map(|f| (f.id.map(|(id, _)| id), f.requiredness, f.name.name.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                (Some(1), Requiredness::Required, "name"),
                (Some(2), Requiredness::Optional, "id"),
                (Some(3), Requiredness::Default, "children"),
                (None, Requiredness::Default, "no_id"),
                (Some(-1), Requiredness::Default, "negative"),
                (Some(16), Requiredness::Default, "hex_id"),
            ]
        );
        let name = &s.fields[0];
        assert_eq!(
            at(src, name.span),
            "1: required string name = \"x\" (go.tag = 'json:\\\"name\\\"')"
        );
        assert_eq!(at(src, name.id.unwrap().1), "1");
        assert_eq!(at(src, name.ty.span), "string");
        assert_eq!(at(src, name.name.span), "name");
        assert_eq!(
            name.default.as_ref().map(|d| d.kind.clone()),
            Some(ConstKind::String("x".into()))
        );
        assert_eq!(
            annotation_pairs(&name.annotations),
            [("go.tag", Some("json:\"name\""))]
        );
        assert_eq!(at(src, s.fields[1].span), "2: optional i64 id");
        assert_eq!(at(src, s.fields[3].span), "string no_id");
        assert_eq!(at(src, s.span), src);
    }

    #[test]
    fn union_exception_and_struct_annotations() {
        let src = "union U { 1: i32 a } exception E { 1: string message } (code = \"1\")\n\
                   struct Empty {}";
        let document = parse_ok(src);
        let kinds: Vec<_> = document
            .items
            .iter()
            .map(|item| match item {
                Item::Struct(s) => (s.kind, s.name.name.as_str(), s.annotations.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (StructKind::Union, "U", 0),
                (StructKind::Exception, "E", 1),
                (StructKind::Struct, "Empty", 0)
            ]
        );
        let Item::Struct(e) = &document.items[1] else {
            unreachable!()
        };
        assert_eq!(
            at(src, e.span),
            "exception E { 1: string message } (code = \"1\")"
        );
    }

    #[test]
    fn keywords_as_field_and_annotation_names() {
        let src = "struct S { 1: string required (service = \"x\", struct; optional) \
                   2: i32 list 3: map<string, string> string }";
        let document = parse_ok(src);
        let s = only_struct(&document);
        let names: Vec<_> = s.fields.iter().map(|f| f.name.name.as_str()).collect();
        assert_eq!(names, ["required", "list", "string"]);
        assert_eq!(
            annotation_pairs(&s.fields[0].annotations),
            [("service", Some("x")), ("struct", None), ("optional", None)]
        );
    }

    // ----- services -----

    #[test]
    fn services() {
        let src = "service Echo extends base.BaseService {\n\
                   Resp echo(1: Req req) (api.post = \"/echo\"),\n\
                   oneway void ping();\n\
                   void noop()\n\
                   list<Item> find(1: string q, 2: i32 limit = 10) throws (1: NotFound nf, 2: Fail f)\n\
                   i32 (k = \"v\") count(),\n\
                   } (svc.k = \"v\")";
        let document = parse_ok(src);
        let service = only_service(&document);
        assert_eq!(service.name.name, "Echo");
        let extends = service.extends.as_ref().unwrap();
        assert_eq!(extends.name, "base.BaseService");
        assert_eq!(at(src, extends.span), "base.BaseService");
        assert_eq!(
            annotation_pairs(&service.annotations),
            [("svc.k", Some("v"))]
        );
        let functions: Vec<_> = service
            .functions
            .iter()
            .map(|f| {
                (
                    f.oneway,
                    f.returns.as_ref().map(|t| at(src, t.span)),
                    f.name.name.as_str(),
                    f.params.len(),
                    f.throws.len(),
                )
            })
            .collect();
        assert_eq!(
            functions,
            [
                (false, Some("Resp"), "echo", 1, 0),
                (true, None, "ping", 0, 0),
                (false, None, "noop", 0, 0),
                (false, Some("list<Item>"), "find", 2, 2),
                (false, Some("i32"), "count", 0, 0),
            ]
        );
        let echo = &service.functions[0];
        assert_eq!(
            at(src, echo.span),
            "Resp echo(1: Req req) (api.post = \"/echo\")"
        );
        assert_eq!(
            annotation_pairs(&echo.annotations),
            [("api.post", Some("/echo"))]
        );
        assert_eq!(at(src, echo.params[0].span), "1: Req req");
        let find = &service.functions[3];
        assert_eq!(find.throws[1].name.name, "f");
        assert_eq!(
            find.params[1].default.as_ref().map(|d| d.kind.clone()),
            Some(ConstKind::Int(10))
        );
        assert_eq!(
            annotation_pairs(&service.functions[4].returns.as_ref().unwrap().annotations),
            [("k", Some("v"))]
        );
    }

    #[test]
    fn service_without_extends() {
        let document = parse_ok("service S extends Base {}\nservice T {}");
        assert_eq!(names(&document), ["S", "T"]);
    }

    // ----- annotations -----

    #[test]
    fn annotation_values_and_separators() {
        let src = r#"struct S {} ( key = "value", key2 = 'v2', flag ; k3 = "a\"b" k4 = 'json:\"id\"' k5 = "json:\"id\"" k6 = "\\ \n \t \r \u00e9" )"#;
        let document = parse_ok(src);
        let s = only_struct(&document);
        assert_eq!(
            annotation_pairs(&s.annotations),
            [
                ("key", Some("value")),
                ("key2", Some("v2")),
                ("flag", None),
                ("k3", Some("a\"b")),
                ("k4", Some("json:\"id\"")),
                ("k5", Some("json:\"id\"")),
                ("k6", Some("\\ \n \t \r é")),
            ]
        );
        let k3 = s.annotations[3].value.as_ref().unwrap();
        assert_eq!(at(src, k3.span), r#""a\"b""#);
        assert_eq!(at(src, s.annotations[3].key.span), "k3");
    }

    #[test]
    fn empty_annotations() {
        let document = parse_ok("struct S {} ()");
        assert!(only_struct(&document).annotations.is_empty());
    }

    // ----- comments -----

    #[test]
    fn comments_everywhere() {
        let src = "# hash comment\n// line comment\n/* block\n comment */\n\
                   struct /* a */ S # b\n{ // c\n 1: /* d */ i32 /* e */ a // f\n # g\n\
                   2: list</* h */i32> b /** doc */ } /* i */ // end";
        let document = parse_ok(src);
        let s = only_struct(&document);
        assert_eq!(s.name.name, "S");
        assert_eq!(s.fields.len(), 2);
        assert_eq!(at(src, s.fields[1].span), "2: list</* h */i32> b");
    }

    // ----- errors -----

    #[test]
    fn missing_colon_after_field_id() {
        let src = "struct Item { 1 string name }";
        assert_eq!(
            errors(src),
            [(
                "expected ':' after field id, found identifier 'string'".to_string(),
                "string"
            )]
        );
    }

    #[test]
    fn missing_type() {
        let src = "struct Item { 1: }";
        assert_eq!(
            errors(src),
            [("expected a type, found '}'".to_string(), "}")]
        );
    }

    #[test]
    fn unexpected_end_of_file() {
        let src = "struct Item {\n  1: i32 a\n";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].message,
            "unexpected end of file, expected '}' to close struct 'Item'"
        );
        assert_eq!(errs[0].span, Span::new(src.len(), src.len()));
        assert_eq!(only_struct(&document).fields.len(), 1);
    }

    #[test]
    fn unterminated_string() {
        let src = "const string S = \"abc\nconst i32 X = 1";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].message, "unterminated string literal");
        assert_eq!(at(src, errs[0].span), "\"abc");
        assert_eq!(names(&document), ["S", "X"]);
        assert_eq!(
            consts(&document)[0].value.kind,
            ConstKind::String("abc".into())
        );
    }

    #[test]
    fn unterminated_block_comment() {
        let src = "struct A {}\n/* never closed\nstruct B {}";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, "unterminated block comment");
        assert_eq!(at(src, errs[0].span), "/*");
        assert_eq!(names(&document), ["A"]);
    }

    #[test]
    fn integer_out_of_range() {
        let src = "const i64 X = 9223372036854775808\nconst i64 Y = -0x8000000000000001\n\
                   struct S { 99999999999999999999: i32 a }\nenum E { A = 0xFFFFFFFFFFFFFFFF }";
        let errs = errors(src);
        assert_eq!(
            errs,
            [
                (
                    "integer literal out of range for i64".to_string(),
                    "9223372036854775808"
                ),
                (
                    "integer literal out of range for i64".to_string(),
                    "-0x8000000000000001"
                ),
                (
                    "integer literal out of range for i64".to_string(),
                    "99999999999999999999"
                ),
                (
                    "integer literal out of range for i64".to_string(),
                    "0xFFFFFFFFFFFFFFFF"
                ),
            ]
        );
    }

    #[test]
    fn unexpected_characters() {
        let src = "struct $A { 1: i32 a @@@ }\nstruct B {}";
        let (document, errs) = parse(src);
        let errs: Vec<_> = errs
            .iter()
            .map(|e| (e.message.as_str(), at(src, e.span)))
            .collect();
        assert_eq!(
            errs,
            [
                ("unexpected character '$'", "$"),
                ("unexpected characters '@@@'", "@@@")
            ]
        );
        assert_eq!(names(&document), ["A", "B"]);
        assert_eq!(
            first_error("struct A { 1: i32 a\u{7} }").0,
            "unexpected character '\\u{7}'"
        );
    }

    #[test]
    fn bad_unicode_escape() {
        let src = "const string S = \"a\\u12x\"";
        assert_eq!(
            errors(src),
            [(
                "invalid unicode escape, expected four hex digits".to_string(),
                "\\u12"
            )]
        );
    }

    #[test]
    fn builtin_type_as_definition_name() {
        let src = "struct i32 { 1: i32 a }";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].message,
            "'i32' is a built-in type and cannot name a definition"
        );
        assert_eq!(at(src, errs[0].span), "i32");
        assert_eq!(only_struct(&document).fields.len(), 1);
    }

    #[test]
    fn assorted_messages() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "foo",
                "expected a definition, found identifier 'foo'",
                "foo",
            ),
            (
                "struct {}",
                "expected a name for the struct, found '{'",
                "{",
            ),
            (
                "struct S",
                "unexpected end of file, expected '{' after the name",
                "",
            ),
            (
                "typedef i32",
                "unexpected end of file, expected a name for the typedef",
                "",
            ),
            (
                "const i32 X 5",
                "expected '=' after the constant name, found integer literal '5'",
                "5",
            ),
            (
                "const i32 X = }",
                "expected a constant value, found '}'",
                "}",
            ),
            (
                "const list<i32> X = [1, 2",
                "unexpected end of file, expected ']' to close the list",
                "",
            ),
            (
                "const map<i32,i32> X = {1 2}",
                "expected ':' after the map key, found integer literal '2'",
                "2",
            ),
            (
                "include foo",
                "expected a path string after 'include', found identifier 'foo'",
                "foo",
            ),
            (
                "namespace go",
                "unexpected end of file, expected a namespace name",
                "",
            ),
            (
                "enum E { A = B }",
                "expected an integer value for 'A', found identifier 'B'",
                "B",
            ),
            (
                "enum E { 1 }",
                "expected an enum value name, found integer literal '1'",
                "1",
            ),
            (
                "struct S { 1: list<i32 a }",
                "expected '>' to close 'list<', found identifier 'a'",
                "a",
            ),
            (
                "struct S { 1: map<i32 i32> a }",
                "expected ',' between map key and value types, found identifier 'i32'",
                "i32",
            ),
            (
                "struct S { 1: list i32 a }",
                "expected '<' after 'list', found identifier 'i32'",
                "i32",
            ),
            (
                "struct S { 1: void a }",
                "expected a type, found keyword 'void'",
                "void",
            ),
            (
                "struct S { 1: i32 }",
                "expected a field name, found '}'",
                "}",
            ),
            (
                "struct S { 1: i32 a (k = 1) }",
                "expected a string value for annotation 'k', found integer literal '1'",
                "1",
            ),
            (
                "struct S { 1: i32 a (k = \"v\" }",
                "expected ')' to close the annotations, found '}'",
                "}",
            ),
            (
                "service S { 1: i32 a }",
                "expected a return type or 'void', found integer literal '1'",
                "1",
            ),
            (
                "service S { void f }",
                "expected '(' after the function name, found '}'",
                "}",
            ),
            (
                "service S { void f( }",
                "expected ')' to close the parameters of 'f', found '}'",
                "}",
            ),
            (
                "service S { void f() throws (1: E e }",
                "expected ')' to close the throws clause of 'f', found '}'",
                "}",
            ),
            (
                "service S extends { }",
                "expected a service name after 'extends', found '{'",
                "{",
            ),
            (
                "enum E { A",
                "unexpected end of file, expected '}' to close enum 'E'",
                "",
            ),
            (
                "service S {",
                "unexpected end of file, expected '}' to close service 'S'",
                "",
            ),
            (
                "union U { 1: i32 a",
                "unexpected end of file, expected '}' to close union 'U'",
                "",
            ),
            (
                "exception X {",
                "unexpected end of file, expected '}' to close exception 'X'",
                "",
            ),
        ];
        for &(src, message, text) in cases {
            let (got, got_text) = first_error(src);
            assert_eq!((got.as_str(), got_text), (message, text), "for {src:?}");
        }
    }

    #[test]
    fn long_tokens_are_shortened_in_messages() {
        let name = "x".repeat(100);
        let (message, _) = first_error(&name);
        assert_eq!(
            message,
            format!(
                "expected a definition, found identifier '{}...'",
                "x".repeat(40)
            )
        );
    }

    // ----- recovery -----

    #[test]
    fn two_bad_definitions_two_errors() {
        let src = "struct A { 1: i32 a }\n\
                   struct B { 1 i32 b; 2: string c }\n\
                   enum C { X = y, Y }\n\
                   service D { void ok() }";
        let (document, errs) = parse(src);
        let errs: Vec<_> = errs
            .iter()
            .map(|e| (e.message.as_str(), at(src, e.span)))
            .collect();
        assert_eq!(
            errs,
            [
                ("expected ':' after field id, found identifier 'i32'", "i32"),
                (
                    "expected an integer value for 'X', found identifier 'y'",
                    "y"
                ),
            ]
        );
        assert_eq!(names(&document), ["A", "B", "C", "D"]);
        let Item::Struct(b) = &document.items[1] else {
            panic!("{document:?}");
        };
        assert_eq!(b.fields.len(), 1);
        assert_eq!(b.fields[0].name.name, "c");
        let Item::Enum(c) = &document.items[2] else {
            panic!("{document:?}");
        };
        assert_eq!(c.values.len(), 1);
        assert_eq!(c.values[0].name.name, "Y");
    }

    #[test]
    fn bad_field_on_one_line_does_not_hide_the_next() {
        let src = "struct S {\n  1: i32 = 5\n  2: string\n  3: bool ok\n}\nstruct T { 1: $ }";
        let (document, errs) = parse(src);
        let errs: Vec<_> = errs
            .iter()
            .map(|e| (e.message.as_str(), at(src, e.span)))
            .collect();
        assert_eq!(
            errs,
            [
                ("expected a field name, found '='", "="),
                ("expected a field name, found integer literal '3'", "3"),
                ("unexpected character '$'", "$"),
                ("expected a type, found '}'", "}"),
            ]
        );
        let Item::Struct(s) = &document.items[0] else {
            panic!("{document:?}");
        };
        assert_eq!(s.fields.len(), 1);
        assert_eq!(s.fields[0].name.name, "ok");
        assert_eq!(names(&document), ["S", "T"]);
    }

    #[test]
    fn missing_close_brace_before_next_definition() {
        let src = "struct A {\n  1: i32 a\nstruct B { 1: i32 b }\nenum E { X\nservice S {}";
        let (document, errs) = parse(src);
        let errs: Vec<_> = errs
            .iter()
            .map(|e| (e.message.as_str(), at(src, e.span)))
            .collect();
        assert_eq!(
            errs,
            [
                (
                    "expected '}' to close struct 'A', found keyword 'struct'",
                    "struct"
                ),
                (
                    "expected '}' to close enum 'E', found keyword 'service'",
                    "service"
                ),
            ]
        );
        assert_eq!(names(&document), ["A", "B", "E", "S"]);
    }

    #[test]
    fn garbage_at_top_level_skips_to_next_definition() {
        let src = "garbage here { with: braces } and more\nstruct A {}\n= = =\nconst i32 X = 1";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(names(&document), ["A", "X"]);
    }

    #[test]
    fn unclosed_annotations_before_next_field() {
        let src = "struct S {\n  1: i32 a (k = \"v\"\n  2: i32 b\n}";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            errs[0].message,
            "expected ')' to close the annotations, found integer literal '2'"
        );
        let names: Vec<_> = only_struct(&document)
            .fields
            .iter()
            .map(|f| f.name.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn crlf_and_byte_order_mark() {
        let src = "\u{FEFF}struct S {\r\n  1: i32 a\r\n  2: i32 = 1\r\n  3: i32 c\r\n}\r\n";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(only_struct(&document).fields.len(), 2);
    }

    #[test]
    fn broken_const_list_stays_contained() {
        let src = "const list<i32> L = [1, =, 3]\nconst i32 X = 2";
        let (document, errs) = parse(src);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].message, "expected a constant value, found '='");
        let ConstKind::List(items) = &consts(&document)[0].value.kind else {
            panic!("{document:?}");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(names(&document), ["L", "X"]);
    }

    #[test]
    fn bad_function_does_not_hide_the_next() {
        let src = "service S {\n  void a(1: i32 x\n  void b(1: = )\n  i32 c()\n}";
        let (document, errs) = parse(src);
        let errs: Vec<_> = errs
            .iter()
            .map(|e| (e.message.as_str(), at(src, e.span)))
            .collect();
        assert_eq!(
            errs,
            [
                (
                    "expected ')' to close the parameters of 'a', found keyword 'void'",
                    "void"
                ),
                ("expected a type, found '='", "="),
            ]
        );
        let service = only_service(&document);
        let names: Vec<_> = service
            .functions
            .iter()
            .map(|f| f.name.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    // ----- limits and robustness -----

    #[test]
    fn nesting_limit_for_types() {
        let ok = format!(
            "typedef {}i32{} T",
            "list<".repeat(MAX_NESTING),
            ">".repeat(MAX_NESTING)
        );
        parse_ok(&ok);
        let deep = format!(
            "typedef {}i32{} T\nstruct After {{}}",
            "list<".repeat(MAX_NESTING + 1),
            ">".repeat(MAX_NESTING + 1)
        );
        let (document, errs) = parse(&deep);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].message, "type nested more than 64 levels deep");
        assert_eq!(names(&document), ["After"]);
        let huge = format!("typedef {} T", "list<".repeat(100_000));
        let (_, errs) = parse(&huge);
        assert!(!errs.is_empty());
    }

    #[test]
    fn nesting_limit_for_constants() {
        let ok = format!(
            "const X Y = {}1{}",
            "[".repeat(MAX_NESTING),
            "]".repeat(MAX_NESTING)
        );
        parse_ok(&ok);
        let deep = format!(
            "const X Y = {}1{}\nstruct After {{}}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        let (document, errs) = parse(&deep);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            errs[0].message,
            "constant value nested more than 64 levels deep"
        );
        assert_eq!(names(&document), ["Y", "After"]);
        for open in ["[", "{", "{1:"] {
            let huge = format!("const X Y = {}", open.repeat(100_000));
            let (_, errs) = parse(&huge);
            assert!(!errs.is_empty());
        }
    }

    #[test]
    fn pathological_inputs_stay_linear() {
        const N: usize = 20_000;
        let inputs = [
            format!("\"{}", "\n\\\"".repeat(N * 4)),
            format!("'{}", "\n\\'".repeat(N * 4)),
            "(".repeat(N * 4),
            "{".repeat(N * 4),
            format!("const X Y = {}", "[".repeat(N * 4)),
            format!("const X Y = {}", "{1:".repeat(N)),
            format!("typedef {} T", "list<".repeat(N)),
            "struct ".repeat(N),
            format!("enum E {{ {}", "struct = ".repeat(N)),
            format!("struct S {{ 1: i32 a ({}", "x ".repeat(N)),
            format!("service S {{ {}", "void f(".repeat(N)),
            "$".repeat(N * 4),
            "$ ".repeat(N * 2),
            "/* ".repeat(N),
            format!("struct S {{ {}", "1: = \n".repeat(N)),
        ];
        for src in &inputs {
            let start = std::time::Instant::now();
            let (_, errors) = parse(src);
            check_errors_in_bounds(src, &errors);
            let elapsed = start.elapsed();
            // Generous even for unoptimised builds; quadratic behaviour takes minutes.
            assert!(
                elapsed < std::time::Duration::from_secs(5),
                "{elapsed:?} for {:?}...",
                &src[..20]
            );
        }
    }

    /// A valid IDL that uses every construct.
    const SAMPLE: &str = r#"// sample
include "base.thrift"
include 'other.thrift'
cpp_include "<map>"
namespace go example.echo
namespace * life (k = "v")
# hash comment
typedef binary (python.type = "bytes") Blob
typedef list<map<string, list<i32>>> Nested;
const i32 MAX = 0x10
const double PI = 3.14, const double SMALL = -2.5e-3
const list<string> NAMES = ["a", 'b'; "c\"d",]
const map<string, Item> ITEMS = {"x": {"id": 1, "tags": ["t"]}, 'y': {}}
const Status DEFAULT = Status.ACTIVE
/* block
   comment */
enum Status { ACTIVE = 1, INACTIVE = 2; DELETED = -1 UNKNOWN (doc = "é") } (e = "1")
struct Item {
  1: required i64 id (go.tag = 'json:\"id\"'),
  2: optional string name = "n";
  3: list<Item> children
  string note
  -4: map cpp_type "M" <string, binary> extra = {}
  5: optional i32 (agw.key = "v") weight,
} (struct.k = "v")
union Choice { 1: i32 a; 2: string b }
exception NotFound { 1: string message } (code = "404")
service Base { void ping() }
service Echo extends base.Base {
  Item get(1: i64 id, 2: bool deep = false) throws (1: NotFound nf) (api.get = "/item/:id"),
  oneway void fire(1: Item item);
  list<Item> find(1: string q)
} (svc = "echo")
"#;

    #[test]
    fn sample_parses() {
        let document = parse_ok(SAMPLE);
        assert_eq!(
            names(&document),
            [
                "Blob", "Nested", "MAX", "PI", "SMALL", "NAMES", "ITEMS", "DEFAULT", "Status",
                "Item", "Choice", "NotFound", "Base", "Echo"
            ]
        );
    }

    fn check_errors_in_bounds(src: &str, errors: &[SyntaxError]) {
        for e in errors {
            assert!(e.span.start <= e.span.end, "{src:?}: {e:?}");
            assert!(src.get(e.span.range()).is_some(), "{src:?}: {e:?}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn every_truncation_of_a_valid_idl() {
        let cuts = SAMPLE.char_indices().map(|(i, _)| i).chain([SAMPLE.len()]);
        for cut in cuts {
            let src = &SAMPLE[..cut];
            let (_, errors) = parse(src);
            check_errors_in_bounds(src, &errors);
        }
    }

    #[test]
    fn token_soup_never_panics() {
        const PIECES: &[&str] = &[
            "struct",
            "enum",
            "service",
            "const",
            "typedef",
            "include",
            "namespace",
            "union",
            "exception",
            "extends",
            "throws",
            "oneway",
            "void",
            "required",
            "optional",
            "list",
            "map",
            "set",
            "i32",
            "string",
            "A",
            "b.c",
            "1",
            "-2",
            "0x3",
            "1.5",
            "\"s\"",
            "'t",
            "\"u\\",
            "{",
            "}",
            "(",
            ")",
            "<",
            ">",
            "[",
            "]",
            ",",
            ";",
            ":",
            "=",
            "*",
            "$",
            "/*",
            "//",
            "\n",
            " ",
            "é",
            "cpp_type",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let len = (next() % 60) as usize;
            let mut src = String::new();
            for _ in 0..len {
                src.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                if next() % 2 == 0 {
                    src.push(' ');
                }
            }
            let (_, errors) = parse(&src);
            check_errors_in_bounds(&src, &errors);
        }
    }

    #[test]
    fn parse_int_edges() {
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("+0x7fffffffffffffff"), Some(i64::MAX));
        assert_eq!(parse_int("-0x8000000000000000"), Some(i64::MIN));
        assert_eq!(parse_int("0x8000000000000000"), None);
        assert_eq!(parse_int(&"9".repeat(50)), None);
    }
}
