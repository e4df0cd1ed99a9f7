//! The descriptor [`Pool`]: linked IDL as flat, immutable tables.
//!
//! A `Pool` is an `Arc` around tables of files, types, structs, enums,
//! typedefs, constants and services. Definitions refer to each other by
//! small copyable ids ([`StructId`], [`TypeId`], ...). Descriptors
//! ([`StructDescriptor`], [`FieldDescriptor`], ...) are borrowed handles
//! `{ pool, def }`: two words, no reference counting, so codecs can walk
//! them on every call. To keep a definition beyond a borrow, keep the `Pool`
//! (a cheap clone) and the id.
//!
//! Every method has synthesized `<method>_args` and `<method>_result`
//! structs: args hold every parameter at its declared id; result holds the
//! return value at id 0 (`success`, absent for `void`) and every declared
//! exception at its id.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::sync::Arc;

use crate::ast::{self, StructKind};
use crate::span::{SourceFile, Span};

pub use crate::ast::Requiredness;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) u32);

        impl $name {
            pub(crate) fn idx(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of a loaded file in its [`Pool`].
    FileId
);
id_type!(
    /// Index of a type in its [`Pool`].
    TypeId
);
id_type!(
    /// Index of a struct, union, exception or synthesized args/result struct.
    StructId
);
id_type!(
    /// Index of an enum.
    EnumId
);
id_type!(
    /// Index of a typedef.
    TypedefId
);
id_type!(
    /// Index of a constant.
    ConstId
);
id_type!(
    /// Index of a service.
    ServiceId
);

/// Identifies a method: the service that declares it and its position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodId {
    pub(crate) service: ServiceId,
    pub(crate) index: u32,
}

/// Options that shape a [`Pool`] when it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    /// Use the `go.tag` json name (`go.tag = 'json:"id"'`) as a field's JSON
    /// name and accept it in lookups by name, as Kitex does.
    ///
    /// Default: `true`, unless the environment variable
    /// `KITEX_GENERIC_GOTAG_ALIAS_DISABLED` is `true` (any case).
    pub go_tag_alias: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        let disabled = std::env::var("KITEX_GENERIC_GOTAG_ALIAS_DISABLED")
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(false);
        Self {
            go_tag_alias: !disabled,
        }
    }
}

/// A resolved type. Typedefs are looked through: a field declared as a
/// typedef of `list<i32>` has kind `List`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Bool,
    Byte,
    I16,
    I32,
    I64,
    Double,
    String,
    Binary,
    Uuid,
    List(TypeId),
    Set(TypeId),
    Map(TypeId, TypeId),
    Struct(StructId),
    Enum(EnumId),
}

#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub(crate) ty: Ty,
    /// The typedef this type was written as, if any (for display).
    pub(crate) typedef: Option<TypedefId>,
    pub(crate) annotations: Annotations,
}

/// Annotations of one node, raw, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations(pub(crate) Vec<(String, Option<String>)>);

impl Annotations {
    pub(crate) fn from_ast(list: &[ast::Annotation]) -> Self {
        Self(
            list.iter()
                .map(|a| {
                    (
                        a.key.name.clone(),
                        a.value.as_ref().map(|v| v.value.clone()),
                    )
                })
                .collect(),
        )
    }

    /// The value of the last annotation with this key (`Some("")` for a
    /// valueless annotation), or `None` when absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// Every value of a key, in source order (a key may repeat).
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// All `(key, value)` pairs in source order; valueless annotations have `None`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A constant or default value, resolved and checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstValue {
    /// `bool`
    Bool(bool),
    /// Any integer type, and enums (the numeric value).
    Int(i64),
    /// `double`
    Double(f64),
    /// `string`, and `binary` (the literal's bytes) and `uuid` (its text).
    String(String),
    /// `list` and `set`.
    List(Vec<ConstValue>),
    /// `map`, in source order.
    Map(Vec<(ConstValue, ConstValue)>),
    /// A struct written as a map literal: `(field id, value)` in source order.
    Struct(Vec<(i16, ConstValue)>),
}

#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) id: i16,
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
    pub(crate) requiredness: Requiredness,
    pub(crate) ty: TypeId,
    pub(crate) default: Option<ConstValue>,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

/// What kind of struct-like definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StructKindExt {
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `exception`
    Exception,
    /// Synthesized `<method>_args`.
    Args,
    /// Synthesized `<method>_result`.
    Result,
}

impl From<StructKind> for StructKindExt {
    fn from(k: StructKind) -> Self {
        match k {
            StructKind::Struct => Self::Struct,
            StructKind::Union => Self::Union,
            StructKind::Exception => Self::Exception,
        }
    }
}

/// How fields are found by id: a dense slot table when ids are compact,
/// else a hash map.
#[derive(Debug, Clone)]
pub(crate) enum IdIndex {
    Dense { min: i16, slots: Box<[u32]> },
    Sparse(HashMap<i16, u32>),
}

const NO_SLOT: u32 = u32::MAX;

impl IdIndex {
    pub(crate) fn build(fields: &[FieldDef]) -> Self {
        let (Some(min), Some(max)) = (
            fields.iter().map(|f| f.id).min(),
            fields.iter().map(|f| f.id).max(),
        ) else {
            return Self::Dense {
                min: 0,
                slots: Box::new([]),
            };
        };
        let span = (i32::from(max) - i32::from(min) + 1) as usize;
        if span <= fields.len() * 4 + 16 {
            let mut slots = vec![NO_SLOT; span];
            for (i, f) in fields.iter().enumerate() {
                slots[(i32::from(f.id) - i32::from(min)) as usize] = i as u32;
            }
            Self::Dense {
                min,
                slots: slots.into(),
            }
        } else {
            Self::Sparse(
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.id, i as u32))
                    .collect(),
            )
        }
    }

    #[inline]
    pub(crate) fn get(&self, id: i16) -> Option<usize> {
        match self {
            Self::Dense { min, slots } => {
                let off = i32::from(id) - i32::from(*min);
                if off < 0 {
                    return None;
                }
                match slots.get(off as usize) {
                    Some(&s) if s != NO_SLOT => Some(s as usize),
                    _ => None,
                }
            }
            Self::Sparse(map) => map.get(&id).map(|&i| i as usize),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StructDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) kind: StructKindExt,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) by_id: IdIndex,
    /// IDL names, plus go.tag aliases when enabled.
    pub(crate) by_name: HashMap<String, u32>,
    pub(crate) required: Vec<u32>,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
    /// What a user of the pool computed from this struct ([`StructDescriptor::cached`]).
    pub(crate) cache: Cache,
}

/// A value computed once from a struct and kept with it: empty when the
/// pool is built or cloned.
#[derive(Default)]
pub(crate) struct Cache(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl Clone for Cache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Cache(set)"
        } else {
            "Cache(empty)"
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct EnumValueDef {
    pub(crate) name: String,
    pub(crate) value: i32,
    pub(crate) annotations: Annotations,
}

#[derive(Debug, Clone)]
pub(crate) struct EnumDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) values: Vec<EnumValueDef>,
    pub(crate) by_name: HashMap<String, u32>,
    pub(crate) by_value: HashMap<i32, u32>,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct TypedefDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) target: TypeId,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct ConstDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) ty: TypeId,
    pub(crate) value: ConstValue,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct MethodDef {
    pub(crate) name: String,
    pub(crate) oneway: bool,
    pub(crate) streaming: StreamingMode,
    pub(crate) returns: Option<TypeId>,
    pub(crate) args: StructId,
    pub(crate) result: StructId,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceDef {
    pub(crate) name: String,
    pub(crate) file: FileId,
    pub(crate) extends: Option<ServiceId>,
    pub(crate) methods: Vec<MethodDef>,
    /// Own methods by name, as indexes into `methods`; inherited ones are
    /// found by walking `extends` (names never repeat along it), so a long
    /// chain costs memory linear in its methods.
    pub(crate) own_by_name: HashMap<String, u32>,
    pub(crate) annotations: Annotations,
    pub(crate) span: Span,
}

/// A top-level definition in a file's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Def {
    Struct(StructId),
    Enum(EnumId),
    Typedef(TypedefId),
    Const(ConstId),
    Service(ServiceId),
}

#[derive(Debug, Clone)]
pub(crate) struct FileDef {
    pub(crate) source: Arc<SourceFile>,
    /// Name other files use for this file's definitions (the file stem).
    pub(crate) module: String,
    pub(crate) namespaces: Vec<(String, String)>,
    /// Included files by module name.
    pub(crate) includes: HashMap<String, FileId>,
    pub(crate) include_order: Vec<FileId>,
    pub(crate) scope: HashMap<String, Def>,
    /// Definitions in source order.
    pub(crate) defs: Vec<Def>,
}

#[derive(Debug)]
pub(crate) struct PoolInner {
    pub(crate) files: Vec<FileDef>,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) structs: Vec<StructDef>,
    pub(crate) enums: Vec<EnumDef>,
    pub(crate) typedefs: Vec<TypedefDef>,
    pub(crate) consts: Vec<ConstDef>,
    pub(crate) services: Vec<ServiceDef>,
    pub(crate) main: FileId,
    pub(crate) options: PoolOptions,
    pub(crate) warnings: Vec<crate::Diagnostic>,
}

/// Linked IDL: every file, type and service, immutable and cheap to clone.
#[derive(Clone)]
pub struct Pool {
    pub(crate) inner: Arc<PoolInner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("main", &self.main_file().path())
            .field("files", &self.inner.files.len())
            .field("structs", &self.inner.structs.len())
            .field("services", &self.inner.services.len())
            .finish()
    }
}

/// A type name in a pool, resolved: either a struct-like type, an enum or a typedef.
#[derive(Debug, Clone, Copy)]
pub enum NamedType<'a> {
    /// A struct, union or exception.
    Struct(StructDescriptor<'a>),
    /// An enum.
    Enum(EnumDescriptor<'a>),
    /// A typedef.
    Typedef(TypedefDescriptor<'a>),
}

impl Pool {
    /// Options the pool was built with.
    pub fn options(&self) -> &PoolOptions {
        &self.inner.options
    }

    /// What linking accepted but flagged, each with file:line:col (for
    /// example an enum value found by its last name segment only, as Apache
    /// Thrift finds it). Empty for most IDLs.
    pub fn warnings(&self) -> &[crate::Diagnostic] {
        &self.inner.warnings
    }

    /// The main file (the one loading started from).
    pub fn main_file(&self) -> FileDescriptor<'_> {
        self.file(self.inner.main)
    }

    /// A file by id.
    pub fn file(&self, id: FileId) -> FileDescriptor<'_> {
        FileDescriptor { pool: self, id }
    }

    /// Every loaded file, the main file first, then includes depth-first.
    pub fn files(&self) -> impl Iterator<Item = FileDescriptor<'_>> {
        (0..self.inner.files.len()).map(|i| self.file(FileId(i as u32)))
    }

    /// Every service: the main file's first, in source order, then those of included files.
    pub fn services(&self) -> impl Iterator<Item = ServiceDescriptor<'_>> {
        self.files().flat_map(|f| f.services())
    }

    /// The service Kitex picks when none is named: the last one in the main file.
    pub fn default_service(&self) -> Option<ServiceDescriptor<'_>> {
        self.main_file().services().last()
    }

    /// A service by name: `EchoService` (the main file, else the only file
    /// defining that name) or `module.EchoService`.
    pub fn service(&self, name: &str) -> Option<ServiceDescriptor<'_>> {
        match self.lookup(name)? {
            (_, Def::Service(id)) => Some(self.service_by_id(id)),
            _ => None,
        }
    }

    /// A service by id.
    pub fn service_by_id(&self, id: ServiceId) -> ServiceDescriptor<'_> {
        ServiceDescriptor {
            pool: self,
            def: &self.inner.services[id.idx()],
            id,
        }
    }

    /// A method by id.
    pub fn method_by_id(&self, id: MethodId) -> MethodDescriptor<'_> {
        MethodDescriptor {
            pool: self,
            def: &self.inner.services[id.service.idx()].methods[id.index as usize],
            id,
        }
    }

    /// A struct (or union, exception, args/result struct) by id.
    #[inline]
    pub fn struct_by_id(&self, id: StructId) -> StructDescriptor<'_> {
        StructDescriptor {
            pool: self,
            def: &self.inner.structs[id.idx()],
            id,
        }
    }

    /// An enum by id.
    pub fn enum_by_id(&self, id: EnumId) -> EnumDescriptor<'_> {
        EnumDescriptor {
            pool: self,
            def: &self.inner.enums[id.idx()],
            id,
        }
    }

    /// A type by id.
    #[inline]
    pub fn type_by_id(&self, id: TypeId) -> TypeDescriptor<'_> {
        TypeDescriptor {
            pool: self,
            def: &self.inner.types[id.idx()],
            id,
        }
    }

    /// A struct, union, exception, enum or typedef by name (`Item`, `module.Item`).
    pub fn find_type(&self, name: &str) -> Option<NamedType<'_>> {
        Some(match self.lookup(name)?.1 {
            Def::Struct(id) => NamedType::Struct(self.struct_by_id(id)),
            Def::Enum(id) => NamedType::Enum(self.enum_by_id(id)),
            Def::Typedef(id) => NamedType::Typedef(TypedefDescriptor {
                pool: self,
                def: &self.inner.typedefs[id.idx()],
            }),
            Def::Const(_) | Def::Service(_) => return None,
        })
    }

    /// A struct-like type by name (`Item`, `module.Item`), looking through typedefs.
    pub fn find_struct(&self, name: &str) -> Option<StructDescriptor<'_>> {
        match self.find_type(name)? {
            NamedType::Struct(s) => Some(s),
            NamedType::Typedef(t) => t.target().as_struct(),
            NamedType::Enum(_) => None,
        }
    }

    /// A constant's resolved value by name (`MAX`, `module.MAX`).
    pub fn find_const(&self, name: &str) -> Option<ConstDescriptor<'_>> {
        match self.lookup(name)?.1 {
            Def::Const(id) => Some(ConstDescriptor {
                pool: self,
                def: &self.inner.consts[id.idx()],
                id,
            }),
            _ => None,
        }
    }

    /// Resolves a user-given name: main file first, then `module.Name`
    /// through any file's module name, then a name defined in exactly one file.
    fn lookup(&self, name: &str) -> Option<(FileId, Def)> {
        let main = self.inner.main;
        if let Some(&d) = self.inner.files[main.idx()].scope.get(name) {
            return Some((main, d));
        }
        if let Some((module, local)) = name.rsplit_once('.') {
            let file = self.inner.files.iter().position(|f| f.module == module)?;
            let d = *self.inner.files[file].scope.get(local)?;
            return Some((FileId(file as u32), d));
        }
        let mut found = self
            .inner
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.scope.get(name).map(|&d| (FileId(i as u32), d)));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The name of a definition as seen from the main file: `Name` when it is
    /// defined in the main file, `module.Name` otherwise.
    pub(crate) fn display_name(&self, file: FileId, name: &str) -> String {
        if file == self.inner.main {
            name.to_owned()
        } else {
            format!("{}.{}", self.inner.files[file.idx()].module, name)
        }
    }
}

/// A loaded IDL file.
#[derive(Debug, Clone, Copy)]
pub struct FileDescriptor<'a> {
    pool: &'a Pool,
    id: FileId,
}

impl<'a> FileDescriptor<'a> {
    fn def(self) -> &'a FileDef {
        &self.pool.inner.files[self.id.idx()]
    }

    /// The id.
    pub fn id(self) -> FileId {
        self.id
    }

    /// The path as resolved when loading.
    pub fn path(self) -> &'a str {
        &self.def().source.path
    }

    /// The file's text.
    pub fn source(self) -> &'a str {
        &self.def().source.text
    }

    /// The module name other files use for its definitions (the file stem).
    pub fn module(self) -> &'a str {
        &self.def().module
    }

    /// `(scope, namespace)` pairs as written.
    pub fn namespaces(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.def()
            .namespaces
            .iter()
            .map(|(s, n)| (s.as_str(), n.as_str()))
    }

    /// The namespace for a language scope, falling back to `*`.
    pub fn namespace(self, scope: &str) -> Option<&'a str> {
        let ns = &self.def().namespaces;
        ns.iter()
            .find(|(s, _)| s == scope)
            .or_else(|| ns.iter().find(|(s, _)| s == "*"))
            .map(|(_, n)| n.as_str())
    }

    /// Files this one includes, in include order.
    pub fn includes(self) -> impl Iterator<Item = FileDescriptor<'a>> {
        let pool = self.pool;
        self.def()
            .include_order
            .iter()
            .map(move |&id| pool.file(id))
    }

    /// 1-based line and column of a byte offset in this file.
    pub fn line_col(self, span: Span) -> (usize, usize) {
        self.def().source.line_col(span.start)
    }

    fn defs(self) -> impl Iterator<Item = Def> + 'a {
        self.def().defs.iter().copied()
    }

    /// Services in source order.
    pub fn services(self) -> impl Iterator<Item = ServiceDescriptor<'a>> {
        let pool = self.pool;
        self.defs().filter_map(move |d| match d {
            Def::Service(id) => Some(pool.service_by_id(id)),
            _ => None,
        })
    }

    /// Structs, unions, exceptions, enums and typedefs in source order.
    pub fn types(self) -> impl Iterator<Item = NamedType<'a>> {
        let pool = self.pool;
        self.defs().filter_map(move |d| match d {
            Def::Struct(id) => Some(NamedType::Struct(pool.struct_by_id(id))),
            Def::Enum(id) => Some(NamedType::Enum(pool.enum_by_id(id))),
            Def::Typedef(id) => Some(NamedType::Typedef(TypedefDescriptor {
                pool,
                def: &pool.inner.typedefs[id.idx()],
            })),
            Def::Const(_) | Def::Service(_) => None,
        })
    }

    /// Constants in source order.
    pub fn consts(self) -> impl Iterator<Item = ConstDescriptor<'a>> {
        let pool = self.pool;
        self.defs().filter_map(move |d| match d {
            Def::Const(id) => Some(ConstDescriptor {
                pool,
                def: &pool.inner.consts[id.idx()],
                id,
            }),
            _ => None,
        })
    }
}

/// A service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceDescriptor<'a> {
    pool: &'a Pool,
    def: &'a ServiceDef,
    id: ServiceId,
}

impl<'a> ServiceDescriptor<'a> {
    /// The id.
    pub fn id(self) -> ServiceId {
        self.id
    }

    /// The name as declared (`EchoService`).
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The name as seen from the main file (`base.BaseService` for an included one).
    pub fn full_name(self) -> String {
        self.pool.display_name(self.def.file, &self.def.name)
    }

    /// The file that declares it.
    pub fn file(self) -> FileDescriptor<'a> {
        self.pool.file(self.def.file)
    }

    /// The service it extends.
    pub fn extends(self) -> Option<ServiceDescriptor<'a>> {
        self.def.extends.map(|id| self.pool.service_by_id(id))
    }

    /// Every callable method, inherited ones first (each name once; an
    /// override replaces the inherited method in place).
    pub fn methods(self) -> impl Iterator<Item = MethodDescriptor<'a>> {
        let mut chain = vec![self];
        while let Some(parent) = chain[chain.len() - 1].extends() {
            chain.push(parent);
        }
        chain.into_iter().rev().flat_map(|s| s.own_methods())
    }

    /// Methods declared in this service itself, in source order.
    pub fn own_methods(self) -> impl Iterator<Item = MethodDescriptor<'a>> {
        let (pool, id) = (self.pool, self.id);
        (0..self.def.methods.len()).map(move |i| {
            pool.method_by_id(MethodId {
                service: id,
                index: i as u32,
            })
        })
    }

    /// A callable method (own or inherited) by name.
    pub fn method(self, name: &str) -> Option<MethodDescriptor<'a>> {
        let mut svc = Some(self);
        while let Some(s) = svc {
            if let Some(&index) = s.def.own_by_name.get(name) {
                return Some(self.pool.method_by_id(MethodId {
                    service: s.id,
                    index,
                }));
            }
            svc = s.extends();
        }
        None
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}

/// How a method is called, from its `streaming.mode` annotation (Kitex):
/// `"unary"`, `"client"`, `"server"` or `"bidirectional"`.
///
/// Client, server and bidirectional methods are streams of bare structs
/// (TTHeader Streaming or gRPC); `None` and `Unary` are ping-pong calls with
/// args/result wrappers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StreamingMode {
    /// No annotation: an ordinary ping-pong method.
    #[default]
    None,
    /// `streaming.mode = "unary"`: ping-pong, like `None`.
    Unary,
    /// `streaming.mode = "client"`: many requests, one response.
    Client,
    /// `streaming.mode = "server"`: one request, many responses.
    Server,
    /// `streaming.mode = "bidirectional"`: many each way.
    Bidirectional,
}

impl StreamingMode {
    /// The annotation key.
    pub const ANNOTATION: &'static str = "streaming.mode";

    /// Parses an annotation value (exact, lowercase, as Kitex spells it).
    pub fn from_annotation(value: &str) -> Option<Self> {
        Some(match value {
            "unary" => Self::Unary,
            "client" => Self::Client,
            "server" => Self::Server,
            "bidirectional" => Self::Bidirectional,
            _ => return None,
        })
    }

    /// The annotation value; `None` has none and prints as `""`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Unary => "unary",
            Self::Client => "client",
            Self::Server => "server",
            Self::Bidirectional => "bidirectional",
        }
    }

    /// True for client, server and bidirectional streams.
    pub fn is_streaming(self) -> bool {
        matches!(self, Self::Client | Self::Server | Self::Bidirectional)
    }

    /// True when the client sends many messages (client, bidirectional).
    pub fn client_streams(self) -> bool {
        matches!(self, Self::Client | Self::Bidirectional)
    }

    /// True when the server sends many messages (server, bidirectional).
    pub fn server_streams(self) -> bool {
        matches!(self, Self::Server | Self::Bidirectional)
    }
}

impl std::fmt::Display for StreamingMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            other => other.as_str(),
        })
    }
}

/// A service method.
#[derive(Debug, Clone, Copy)]
pub struct MethodDescriptor<'a> {
    pool: &'a Pool,
    def: &'a MethodDef,
    id: MethodId,
}

impl<'a> MethodDescriptor<'a> {
    /// The id.
    pub fn id(self) -> MethodId {
        self.id
    }

    /// The method name.
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The service that declares it (for an inherited method, the ancestor).
    pub fn service(self) -> ServiceDescriptor<'a> {
        self.pool.service_by_id(self.id.service)
    }

    /// Declared `oneway`.
    pub fn is_oneway(self) -> bool {
        self.def.oneway
    }

    /// The `streaming.mode` annotation, parsed: [`StreamingMode::None`]
    /// when absent.
    pub fn streaming(self) -> StreamingMode {
        self.def.streaming
    }

    /// For a streaming method (client, server or bidirectional), the bare
    /// request struct each request message is: the single parameter's type.
    /// Streaming messages travel without an args wrapper (spec §7.5).
    pub fn stream_request(self) -> Option<StructDescriptor<'a>> {
        if !self.def.streaming.is_streaming() {
            return None;
        }
        match self.params().next()?.ty().kind() {
            TypeKind::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// For a streaming method, the bare response struct each reply message
    /// is: the return type. No result wrapper (spec §7.5).
    pub fn stream_response(self) -> Option<StructDescriptor<'a>> {
        if !self.def.streaming.is_streaming() {
            return None;
        }
        match self.returns()?.kind() {
            TypeKind::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The return type; `None` for `void`.
    pub fn returns(self) -> Option<TypeDescriptor<'a>> {
        self.def.returns.map(|t| self.pool.type_by_id(t))
    }

    /// The synthesized `<method>_args` struct: every parameter at its id.
    pub fn args(self) -> StructDescriptor<'a> {
        self.pool.struct_by_id(self.def.args)
    }

    /// The synthesized `<method>_result` struct: `success` at id 0 (absent
    /// for void) and every declared exception at its id.
    pub fn result(self) -> StructDescriptor<'a> {
        self.pool.struct_by_id(self.def.result)
    }

    /// The parameters, in declaration order.
    pub fn params(self) -> impl Iterator<Item = FieldDescriptor<'a>> {
        self.args().fields()
    }

    /// The declared exceptions, in declaration order.
    pub fn exceptions(self) -> impl Iterator<Item = FieldDescriptor<'a>> {
        self.result().fields().filter(|f| f.id() != 0)
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}

/// A struct, union, exception, or a method's args/result struct.
#[derive(Debug, Clone, Copy)]
pub struct StructDescriptor<'a> {
    pool: &'a Pool,
    def: &'a StructDef,
    id: StructId,
}

impl<'a> StructDescriptor<'a> {
    /// The id.
    pub fn id(self) -> StructId {
        self.id
    }

    /// The pool it belongs to.
    pub fn pool(self) -> &'a Pool {
        self.pool
    }

    /// The name as declared (`Item`, `Echo_args`).
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The name as seen from the main file (`item.Item` for an included one).
    pub fn full_name(self) -> String {
        self.pool.display_name(self.def.file, &self.def.name)
    }

    /// What kind of definition.
    #[inline]
    pub fn kind(self) -> StructKindExt {
        self.def.kind
    }

    /// The file that declares it (for args/result, the service's file).
    pub fn file(self) -> FileDescriptor<'a> {
        self.pool.file(self.def.file)
    }

    /// Number of fields.
    #[inline]
    pub fn len(self) -> usize {
        self.def.fields.len()
    }

    /// True when it has no fields.
    pub fn is_empty(self) -> bool {
        self.def.fields.is_empty()
    }

    /// Fields in declaration order.
    pub fn fields(self) -> impl ExactSizeIterator<Item = FieldDescriptor<'a>> + Clone {
        let pool = self.pool;
        self.def
            .fields
            .iter()
            .enumerate()
            .map(move |(index, def)| FieldDescriptor { pool, def, index })
    }

    /// The field at a position in declaration order.
    #[inline]
    pub fn field(self, index: usize) -> Option<FieldDescriptor<'a>> {
        self.def.fields.get(index).map(|def| FieldDescriptor {
            pool: self.pool,
            def,
            index,
        })
    }

    /// A field by wire id.
    #[inline]
    pub fn field_by_id(self, id: i16) -> Option<FieldDescriptor<'a>> {
        self.def.by_id.get(id).and_then(|i| self.field(i))
    }

    /// A field by IDL name, or by its `go.tag` json name when aliases are on.
    #[inline]
    pub fn field_by_name(self, name: &str) -> Option<FieldDescriptor<'a>> {
        self.def
            .by_name
            .get(name)
            .and_then(|&i| self.field(i as usize))
    }

    /// Positions of the `required` fields.
    pub fn required_fields(self) -> impl Iterator<Item = FieldDescriptor<'a>> {
        self.def
            .required
            .iter()
            .filter_map(move |&i| self.field(i as usize))
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }

    /// A value derived from this struct, computed by `init` on first use
    /// and then kept with the pool for as long as it lives (a codec keeps
    /// its compiled plan of the struct here, so that descriptor lookups are
    /// paid once per struct, not once per message). One type per struct:
    /// `None` when a value of another type is kept already.
    ///
    /// ```
    /// use anycall_idl::Pool;
    ///
    /// let pool = Pool::from_source("a.thrift", "struct S { 1: i32 a, 2: i64 b }").unwrap();
    /// let s = pool.find_struct("S").unwrap();
    /// let ids: &Vec<i16> = s.cached(|| s.fields().map(|f| f.id()).collect()).unwrap();
    /// assert_eq!(ids, &[1, 2]);
    /// // Kept: `init` does not run again.
    /// assert_eq!(s.cached::<Vec<i16>>(|| unreachable!()).unwrap().len(), 2);
    /// assert!(s.cached(|| 0u8).is_none());
    /// ```
    #[inline]
    pub fn cached<T: std::any::Any + Send + Sync>(self, init: impl FnOnce() -> T) -> Option<&'a T> {
        self.def
            .cache
            .0
            .get_or_init(|| Box::new(init()))
            .downcast_ref()
    }
}

/// A field of a struct (or a parameter, or a result slot).
#[derive(Debug, Clone, Copy)]
pub struct FieldDescriptor<'a> {
    pool: &'a Pool,
    def: &'a FieldDef,
    index: usize,
}

impl<'a> FieldDescriptor<'a> {
    /// Wire id.
    #[inline]
    pub fn id(self) -> i16 {
        self.def.id
    }

    /// Position in the struct's declaration order.
    #[inline]
    pub fn index(self) -> usize {
        self.index
    }

    /// IDL name.
    #[inline]
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The `go.tag` json name, if the field has one (whatever the alias option).
    pub fn go_tag_alias(self) -> Option<&'a str> {
        self.def.alias.as_deref()
    }

    /// The key used in JSON and map values: the `go.tag` json name when aliases
    /// are on and present, else the IDL name.
    #[inline]
    pub fn json_name(self) -> &'a str {
        match &self.def.alias {
            Some(a) if self.pool.inner.options.go_tag_alias => a,
            _ => &self.def.name,
        }
    }

    /// Requiredness as declared.
    pub fn requiredness(self) -> Requiredness {
        self.def.requiredness
    }

    /// True for `required`.
    #[inline]
    pub fn is_required(self) -> bool {
        self.def.requiredness == Requiredness::Required
    }

    /// True for `optional`.
    #[inline]
    pub fn is_optional(self) -> bool {
        self.def.requiredness == Requiredness::Optional
    }

    /// The field's type.
    #[inline]
    pub fn ty(self) -> TypeDescriptor<'a> {
        self.pool.type_by_id(self.def.ty)
    }

    /// The default value, resolved against the type.
    #[inline]
    pub fn default_value(self) -> Option<&'a ConstValue> {
        self.def.default.as_ref()
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}

/// A type, with typedefs looked through by [`TypeDescriptor::kind`].
#[derive(Debug, Clone, Copy)]
pub struct TypeDescriptor<'a> {
    pool: &'a Pool,
    def: &'a TypeDef,
    id: TypeId,
}

/// The shape of a type, with child descriptors.
#[derive(Debug, Clone, Copy)]
pub enum TypeKind<'a> {
    /// `bool`
    Bool,
    /// `byte` / `i8`
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
    List(TypeDescriptor<'a>),
    /// `set<T>`
    Set(TypeDescriptor<'a>),
    /// `map<K, V>`
    Map(TypeDescriptor<'a>, TypeDescriptor<'a>),
    /// A struct, union or exception.
    Struct(StructDescriptor<'a>),
    /// An enum (i32 on the wire).
    Enum(EnumDescriptor<'a>),
}

impl<'a> TypeDescriptor<'a> {
    /// The id.
    #[inline]
    pub fn id(self) -> TypeId {
        self.id
    }

    /// The resolved shape.
    #[inline]
    pub fn kind(self) -> TypeKind<'a> {
        let p = self.pool;
        match self.def.ty {
            Ty::Bool => TypeKind::Bool,
            Ty::Byte => TypeKind::Byte,
            Ty::I16 => TypeKind::I16,
            Ty::I32 => TypeKind::I32,
            Ty::I64 => TypeKind::I64,
            Ty::Double => TypeKind::Double,
            Ty::String => TypeKind::String,
            Ty::Binary => TypeKind::Binary,
            Ty::Uuid => TypeKind::Uuid,
            Ty::List(t) => TypeKind::List(p.type_by_id(t)),
            Ty::Set(t) => TypeKind::Set(p.type_by_id(t)),
            Ty::Map(k, v) => TypeKind::Map(p.type_by_id(k), p.type_by_id(v)),
            Ty::Struct(s) => TypeKind::Struct(p.struct_by_id(s)),
            Ty::Enum(e) => TypeKind::Enum(p.enum_by_id(e)),
        }
    }

    /// Whether two types of the same pool have the same resolved shape:
    /// the same base type, containers of elements of the same shape, the
    /// same struct or the same enum. Typedef names and annotations do not
    /// count, so a value read as one type can be written as the other.
    /// Types of different pools are never the same shape. The cost is
    /// bounded by the size of the types (structs compare by identity).
    ///
    /// ```
    /// use anycall_idl::Loader;
    ///
    /// let pool = Loader::new()
    ///     .file("a.thrift", "typedef list<i32> Ints\nstruct S { 1: Ints a, 2: list<i32> b, 3: list<i64> c }")
    ///     .load("a.thrift")
    ///     .unwrap();
    /// let s = pool.find_struct("S").unwrap();
    /// let ty = |n| s.field_by_name(n).unwrap().ty();
    /// assert!(ty("a").same_shape(ty("b")));
    /// assert!(!ty("b").same_shape(ty("c")));
    /// ```
    pub fn same_shape(self, other: TypeDescriptor<'_>) -> bool {
        if !std::ptr::eq(self.pool, other.pool) {
            return false;
        }
        let p = self.pool;
        let same = |a: TypeId, b: TypeId| p.type_by_id(a).same_shape(p.type_by_id(b));
        match (self.def.ty, other.def.ty) {
            (Ty::List(a), Ty::List(b)) | (Ty::Set(a), Ty::Set(b)) => same(a, b),
            (Ty::Map(ka, va), Ty::Map(kb, vb)) => same(ka, kb) && same(va, vb),
            (a, b) => a == b,
        }
    }

    /// The struct, if the type is struct-like.
    pub fn as_struct(self) -> Option<StructDescriptor<'a>> {
        match self.def.ty {
            Ty::Struct(s) => Some(self.pool.struct_by_id(s)),
            _ => None,
        }
    }

    /// The typedef name this type was written as, if any.
    pub fn typedef(self) -> Option<TypedefDescriptor<'a>> {
        self.def.typedef.map(|id| TypedefDescriptor {
            pool: self.pool,
            def: &self.pool.inner.typedefs[id.idx()],
        })
    }

    /// Type annotations written after the type (`binary (python.type = "bytes")`).
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// The Thrift spelling as seen from the main file, keeping typedef names:
    /// `list<map<string,item.Item>>`.
    pub fn display(self) -> String {
        let mut out = String::new();
        self.write_display(&mut out);
        out
    }

    fn write_display(self, out: &mut String) {
        if let Some(td) = self.def.typedef {
            let td = &self.pool.inner.typedefs[td.idx()];
            out.push_str(&self.pool.display_name(td.file, &td.name));
            return;
        }
        let p = self.pool;
        match self.def.ty {
            Ty::Bool => out.push_str("bool"),
            Ty::Byte => out.push_str("byte"),
            Ty::I16 => out.push_str("i16"),
            Ty::I32 => out.push_str("i32"),
            Ty::I64 => out.push_str("i64"),
            Ty::Double => out.push_str("double"),
            Ty::String => out.push_str("string"),
            Ty::Binary => out.push_str("binary"),
            Ty::Uuid => out.push_str("uuid"),
            Ty::List(t) | Ty::Set(t) => {
                out.push_str(if matches!(self.def.ty, Ty::List(_)) {
                    "list<"
                } else {
                    "set<"
                });
                p.type_by_id(t).write_display(out);
                out.push('>');
            }
            Ty::Map(k, v) => {
                out.push_str("map<");
                p.type_by_id(k).write_display(out);
                out.push(',');
                p.type_by_id(v).write_display(out);
                out.push('>');
            }
            Ty::Struct(s) => {
                let s = &p.inner.structs[s.idx()];
                out.push_str(&p.display_name(s.file, &s.name));
            }
            Ty::Enum(e) => {
                let e = &p.inner.enums[e.idx()];
                out.push_str(&p.display_name(e.file, &e.name));
            }
        }
    }
}

impl fmt::Display for TypeDescriptor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// An enum.
#[derive(Debug, Clone, Copy)]
pub struct EnumDescriptor<'a> {
    pool: &'a Pool,
    def: &'a EnumDef,
    id: EnumId,
}

impl<'a> EnumDescriptor<'a> {
    /// The id.
    pub fn id(self) -> EnumId {
        self.id
    }

    /// The name as declared.
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The name as seen from the main file.
    pub fn full_name(self) -> String {
        self.pool.display_name(self.def.file, &self.def.name)
    }

    /// `(name, value)` pairs in declaration order.
    pub fn values(self) -> impl ExactSizeIterator<Item = (&'a str, i32)> {
        self.def.values.iter().map(|v| (v.name.as_str(), v.value))
    }

    /// A value by name.
    #[inline]
    pub fn value(self, name: &str) -> Option<i32> {
        self.def
            .by_name
            .get(name)
            .map(|&i| self.def.values[i as usize].value)
    }

    /// The (first declared) name of a value.
    #[inline]
    pub fn name_of(self, value: i32) -> Option<&'a str> {
        self.def
            .by_value
            .get(&value)
            .map(|&i| self.def.values[i as usize].name.as_str())
    }

    /// Raw annotations of a value by name.
    pub fn value_annotations(self, name: &str) -> Option<&'a Annotations> {
        self.def
            .by_name
            .get(name)
            .map(|&i| &self.def.values[i as usize].annotations)
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}

/// A constant.
#[derive(Debug, Clone, Copy)]
pub struct ConstDescriptor<'a> {
    pool: &'a Pool,
    def: &'a ConstDef,
    id: ConstId,
}

impl<'a> ConstDescriptor<'a> {
    /// The id.
    pub fn id(self) -> ConstId {
        self.id
    }

    /// The name as declared.
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The name as seen from the main file.
    pub fn full_name(self) -> String {
        self.pool.display_name(self.def.file, &self.def.name)
    }

    /// The declared type.
    pub fn ty(self) -> TypeDescriptor<'a> {
        self.pool.type_by_id(self.def.ty)
    }

    /// The value, checked against the type.
    pub fn value(self) -> &'a ConstValue {
        &self.def.value
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}

/// A typedef.
#[derive(Debug, Clone, Copy)]
pub struct TypedefDescriptor<'a> {
    pool: &'a Pool,
    def: &'a TypedefDef,
}

impl<'a> TypedefDescriptor<'a> {
    /// The name as declared.
    pub fn name(self) -> &'a str {
        &self.def.name
    }

    /// The name as seen from the main file.
    pub fn full_name(self) -> String {
        self.pool.display_name(self.def.file, &self.def.name)
    }

    /// The aliased type (itself possibly a typedef name).
    pub fn target(self) -> TypeDescriptor<'a> {
        self.pool.type_by_id(self.def.target)
    }

    /// Raw annotations.
    pub fn annotations(self) -> &'a Annotations {
        &self.def.annotations
    }

    /// Where it was declared.
    pub fn span(self) -> Span {
        self.def.span
    }
}
