//! Syntax tree of one Thrift IDL file, faithful to the source.
//!
//! Every node carries the [`Span`] of the text it came from, so that later
//! stages (linking, `describe`, gateway route checks) can point at a line.
//! Nothing here is resolved: names are kept as written (`common.Base`),
//! constant expressions are kept as written, includes are kept as paths.

use crate::span::Span;

/// An identifier or dotted name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The text, e.g. `Item` or `common.Base`.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal's decoded value (escapes resolved) with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    /// The decoded text.
    pub value: String,
    /// Span of the literal including its quotes.
    pub span: Span,
}

/// One annotation `key = "value"` or a valueless `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The key, e.g. `api.get` or `go.tag`.
    pub key: Ident,
    /// The decoded value; `None` for a valueless annotation such as `(flag)`.
    pub value: Option<StrLit>,
}

/// A parsed IDL document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Headers and definitions in source order.
    pub items: Vec<Item>,
}

/// A top-level header or definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `include "path"`.
    Include(StrLit),
    /// `cpp_include "path"`.
    CppInclude(StrLit),
    /// `namespace scope name`.
    Namespace(Namespace),
    /// `typedef type Name`.
    Typedef(Typedef),
    /// `const type NAME = value`.
    Const(Const),
    /// `enum Name { ... }`.
    Enum(Enum),
    /// `struct`, `union` or `exception`.
    Struct(Struct),
    /// `service Name [extends Base] { ... }`.
    Service(Service),
}

/// `namespace <scope> <name>`; scope `*` applies to every language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// The scope, e.g. `go`, `rs`, `*`.
    pub scope: Ident,
    /// The namespace, e.g. `example.echo`.
    pub name: Ident,
    /// Annotations after the namespace, if any.
    pub annotations: Vec<Annotation>,
    /// The whole header.
    pub span: Span,
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Type {
    /// What type.
    pub kind: TypeKind,
    /// Annotations written right after the type, e.g. `binary (python.type = "bytes")`.
    pub annotations: Vec<Annotation>,
    /// Where the type was written.
    pub span: Span,
}

/// Base, container or named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// `bool`
    Bool,
    /// `byte` or `i8`
    Byte,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `double`
    Double,
    /// `string`
    String,
    /// `binary`
    Binary,
    /// `uuid`
    Uuid,
    /// `list<T>`
    List(Box<Type>),
    /// `set<T>`
    Set(Box<Type>),
    /// `map<K, V>`
    Map(Box<Type>, Box<Type>),
    /// A struct, union, exception, enum or typedef name (`Item`, `common.Base`).
    Named(Ident),
}

/// A constant expression as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstValue {
    /// What value.
    pub kind: ConstKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of constant expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstKind {
    /// An integer literal (decimal or `0x` hex, with sign).
    Int(i64),
    /// A floating-point literal.
    Double(f64),
    /// A string literal (escapes resolved).
    String(String),
    /// A name: a constant or enum value (`MAX`, `Status.ACTIVE`, `common.Status.ACTIVE`),
    /// or `true`/`false`, which Thrift's grammar treats as identifiers.
    Ident(String),
    /// `[a, b, c]`
    List(Vec<ConstValue>),
    /// `{k: v, ...}`
    Map(Vec<(ConstValue, ConstValue)>),
}

/// `typedef <type> <Name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Typedef {
    /// The aliased type.
    pub ty: Type,
    /// The new name.
    pub name: Ident,
    /// Annotations after the name.
    pub annotations: Vec<Annotation>,
    /// The whole definition.
    pub span: Span,
}

/// `const <type> <NAME> = <value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Const {
    /// Declared type.
    pub ty: Type,
    /// Constant name.
    pub name: Ident,
    /// Value as written.
    pub value: ConstValue,
    /// Annotations after the value.
    pub annotations: Vec<Annotation>,
    /// The whole definition.
    pub span: Span,
}

/// `enum Name { A = 1, B, ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// Enum name.
    pub name: Ident,
    /// Values in source order.
    pub values: Vec<EnumValue>,
    /// Annotations after the closing brace.
    pub annotations: Vec<Annotation>,
    /// The whole definition.
    pub span: Span,
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// Value name.
    pub name: Ident,
    /// Explicit value, if written (`= 5`, `= 0x10`, `= -1`); implicit values are assigned by the linker.
    pub value: Option<(i64, Span)>,
    /// Annotations after the value.
    pub annotations: Vec<Annotation>,
    /// The whole value.
    pub span: Span,
}

/// Which keyword introduced a struct-like definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StructKind {
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `exception`
    Exception,
}

/// `struct`/`union`/`exception Name { fields }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// Which keyword.
    pub kind: StructKind,
    /// Name.
    pub name: Ident,
    /// Fields in source order.
    pub fields: Vec<Field>,
    /// Annotations after the closing brace.
    pub annotations: Vec<Annotation>,
    /// The whole definition.
    pub span: Span,
}

/// Field requiredness as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requiredness {
    /// `required`
    Required,
    /// `optional`
    Optional,
    /// Neither keyword ("default requiredness").
    Default,
}

/// A struct field, function parameter or `throws` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Field id as written (`1:`); `None` when omitted (the linker assigns negative ids like Apache Thrift).
    pub id: Option<(i64, Span)>,
    /// Requiredness keyword.
    pub requiredness: Requiredness,
    /// Field type.
    pub ty: Type,
    /// Field name.
    pub name: Ident,
    /// Default value after `=`.
    pub default: Option<ConstValue>,
    /// Annotations after the field.
    pub annotations: Vec<Annotation>,
    /// The whole field.
    pub span: Span,
}

/// `service Name [extends Base] { functions }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Name.
    pub name: Ident,
    /// The extended service, as written (`BaseService` or `base.BaseService`).
    pub extends: Option<Ident>,
    /// Functions in source order.
    pub functions: Vec<Function>,
    /// Annotations after the closing brace.
    pub annotations: Vec<Annotation>,
    /// The whole definition.
    pub span: Span,
}

/// One service function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// `oneway` was written.
    pub oneway: bool,
    /// Return type; `None` for `void`.
    pub returns: Option<Type>,
    /// Function name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Field>,
    /// Declared exceptions (`throws (...)`).
    pub throws: Vec<Field>,
    /// Annotations after the function.
    pub annotations: Vec<Annotation>,
    /// The whole function.
    pub span: Span,
}
