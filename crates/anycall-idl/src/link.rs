//! The linker: parsed files → one [`Pool`].
//!
//! Phases, each over every file, collecting every problem before failing:
//!
//! 1. **load**: parse the main file, resolve and parse includes depth-first
//!    (cycles and missing files reported at the `include` line);
//! 2. **declare**: put every definition's name in its file's scope
//!    (duplicates reported with the first definition's position);
//! 3. **types**: resolve typedef chains, struct fields, service `extends`
//!    and methods (synthesizing `<method>_args` / `<method>_result`);
//! 4. **values**: evaluate constants and field defaults against their types.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{self, ConstKind, Item, TypeKind};
use crate::diagnostic::{Diagnostic, IdlError};
use crate::load::Loader;
use crate::parser;
use crate::pool::{
    Annotations, ConstDef, ConstId, ConstValue, Def, EnumDef, EnumId, EnumValueDef, FieldDef,
    FileDef, FileId, IdIndex, MethodDef, MethodId, Pool, PoolInner, PoolOptions, Requiredness,
    ServiceDef, ServiceId, StreamingMode, StructDef, StructId, StructKindExt, Ty, TypeDef, TypeId,
    TypedefDef, TypedefId,
};
use crate::span::{SourceFile, Span};

/// Deepest constant expression evaluated through references.
const MAX_CONST_DEPTH: usize = 64;

struct ParsedFile {
    source: Arc<SourceFile>,
    /// Shared so a phase can hold a definition while it mutates the linker.
    doc: Rc<ast::Document>,
}

/// What a list of fields belongs to, for messages (formatted only on error).
#[derive(Clone, Copy)]
enum Owner<'a> {
    Struct(&'a str),
    Params(&'a str, &'a str),
    Throws(&'a str, &'a str),
}

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Struct(name) => write!(f, "`{name}`"),
            Owner::Params(svc, m) => write!(f, "parameters of `{svc}.{m}`"),
            Owner::Throws(svc, m) => write!(f, "exceptions of `{svc}.{m}`"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State<T> {
    Todo,
    InProgress,
    Done(T),
    Failed,
}

struct Linker<'l> {
    loader: &'l Loader,
    options: PoolOptions,
    parsed: Vec<ParsedFile>,
    by_path: HashMap<String, FileId>,
    files: Vec<FileDef>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,

    types: Vec<TypeDef>,
    plain_types: HashMap<(Ty, Option<TypedefId>), TypeId>,
    structs: Vec<StructDef>,
    struct_ast: Vec<Option<(FileId, usize)>>,
    enums: Vec<EnumDef>,
    typedefs: Vec<TypedefDef>,
    typedef_ast: Vec<(FileId, usize)>,
    typedef_state: Vec<State<TypeId>>,
    consts: Vec<ConstDef>,
    const_ast: Vec<(FileId, usize)>,
    const_stack: Vec<ConstId>,
    services: Vec<ServiceDef>,
    service_ast: Vec<(FileId, usize)>,
    service_state: Vec<State<()>>,
    /// Definition spans for "first defined here" notes.
    def_spans: HashMap<(FileId, String), Span>,
}

pub(crate) fn link(loader: &Loader, main: &str, options: PoolOptions) -> Result<Pool, IdlError> {
    let mut l = Linker {
        loader,
        options,
        parsed: Vec::new(),
        by_path: HashMap::default(),
        files: Vec::new(),
        diags: Vec::new(),
        warnings: Vec::new(),
        types: Vec::new(),
        plain_types: HashMap::default(),
        structs: Vec::new(),
        struct_ast: Vec::new(),
        enums: Vec::new(),
        typedefs: Vec::new(),
        typedef_ast: Vec::new(),
        typedef_state: Vec::new(),
        consts: Vec::new(),
        const_ast: Vec::new(),
        const_stack: Vec::new(),
        services: Vec::new(),
        service_ast: Vec::new(),
        service_state: Vec::new(),
        def_spans: HashMap::default(),
    };
    let main_path = crate::load::normalize(main);
    match loader.read(&main_path, true) {
        Ok(Some(text)) => {
            l.load_file(&main_path, text);
        }
        Ok(None) => {
            return Err(IdlError::new(vec![Diagnostic::global(format!(
                "cannot find IDL file {main}"
            ))]));
        }
        Err(d) => return Err(IdlError::new(vec![d])),
    }
    l.declare();
    l.resolve_typedefs();
    l.resolve_structs();
    l.resolve_services();
    l.resolve_consts();
    l.resolve_defaults();
    if !l.diags.is_empty() {
        return Err(IdlError::new(l.diags));
    }
    Ok(Pool {
        inner: Arc::new(PoolInner {
            files: l.files,
            types: l.types,
            structs: l.structs,
            enums: l.enums,
            typedefs: l.typedefs,
            consts: l.consts,
            services: l.services,
            main: FileId(0),
            options: l.options,
            warnings: l.warnings,
        }),
    })
}

fn module_name(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.strip_suffix(".thrift").unwrap_or(file).to_owned()
}

impl Linker<'_> {
    fn err(&mut self, file: FileId, span: Span, msg: impl Into<String>) {
        let d = Diagnostic::new(&self.parsed[file.idx()].source, span, msg);
        self.diags.push(d);
    }

    fn err_with(&mut self, file: FileId, span: Span, msg: impl Into<String>, note: String) {
        let d = Diagnostic::new(&self.parsed[file.idx()].source, span, msg).with_note(note);
        self.diags.push(d);
    }

    fn warn(&mut self, file: FileId, span: Span, msg: impl Into<String>) {
        let d = Diagnostic::warning(&self.parsed[file.idx()].source, span, msg);
        self.warnings.push(d);
    }

    fn at(&self, file: FileId, span: Span) -> String {
        let src = &self.parsed[file.idx()].source;
        let (line, col) = src.line_col(span.start);
        format!("{}:{line}:{col}", src.path)
    }

    // ---- phase 1: load ------------------------------------------------

    /// Parses a file and, depth-first, everything it includes, with an
    /// explicit stack of open files (used to report include cycles), so an
    /// include chain of any length costs no native stack.
    fn load_file(&mut self, path: &str, text: String) {
        struct Open {
            id: FileId,
            includes: Vec<ast::StrLit>,
            next: usize,
        }
        let first = self.parse_file(path, text);
        let mut open = vec![Open {
            id: first,
            includes: self.includes_of(first),
            next: 0,
        }];
        let mut stack: Vec<FileId> = vec![first];
        while let Some(top) = open.last_mut() {
            let Some(inc) = top.includes.get(top.next).cloned() else {
                open.pop();
                stack.pop();
                continue;
            };
            top.next += 1;
            let id = top.id;
            let Some((target, fresh)) = self.resolve_include(id, &inc, &stack) else {
                continue;
            };
            let module = self.files[target.idx()].module.clone();
            if let Some(&other) = self.files[id.idx()].includes.get(&module) {
                if other != target {
                    let other_path = self.files[other.idx()].source.path.clone();
                    self.err_with(
                        id,
                        inc.span,
                        format!("two included files are both named `{module}`"),
                        format!("{other_path} is also included as `{module}`"),
                    );
                }
            } else {
                let f = &mut self.files[id.idx()];
                f.includes.insert(module, target);
                f.include_order.push(target);
            }
            if fresh {
                open.push(Open {
                    id: target,
                    includes: self.includes_of(target),
                    next: 0,
                });
                stack.push(target);
            }
        }
    }

    fn includes_of(&self, id: FileId) -> Vec<ast::StrLit> {
        self.parsed[id.idx()]
            .doc
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Include(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// Parses one file and registers it (its includes are not followed).
    fn parse_file(&mut self, path: &str, text: String) -> FileId {
        let id = FileId(self.parsed.len() as u32);
        let source = Arc::new(SourceFile::new(path, text));
        let (doc, errors) = parser::parse(&source.text);
        for e in errors {
            self.diags.push(Diagnostic::new(&source, e.span, e.message));
        }
        self.by_path.insert(path.to_owned(), id);
        self.parsed.push(ParsedFile {
            source,
            doc: Rc::new(doc),
        });
        self.files.push(FileDef {
            source: self.parsed[id.idx()].source.clone(),
            module: module_name(path),
            namespaces: Vec::new(),
            includes: HashMap::default(),
            include_order: Vec::new(),
            scope: HashMap::default(),
            defs: Vec::new(),
        });
        id
    }

    fn resolve_include(
        &mut self,
        from: FileId,
        inc: &ast::StrLit,
        stack: &[FileId],
    ) -> Option<(FileId, bool)> {
        let from_path = self.files[from.idx()].source.path.clone();
        let candidates = self.loader.candidates(&from_path, &inc.value);
        let mut outside = Vec::new();
        for (cand, disk) in &candidates {
            if self.loader.confined() && !self.loader.inside(&self.files[0].source.path, cand) {
                outside.push(cand.clone());
                continue;
            }
            if let Some(&existing) = self.by_path.get(cand) {
                if let Some(pos) = stack.iter().position(|&f| f == existing) {
                    let mut chain: Vec<String> = stack[pos..]
                        .iter()
                        .map(|f| self.files[f.idx()].source.path.clone())
                        .collect();
                    chain.push(cand.clone());
                    self.err(
                        from,
                        inc.span,
                        format!("include cycle: {}", chain.join(" -> ")),
                    );
                    // Still resolve names through it, so the cycle is the
                    // only error reported.
                    return Some((existing, false));
                }
                return Some((existing, false));
            }
            match self.loader.read(cand, *disk) {
                Ok(Some(text)) => return Some((self.parse_file(cand, text), true)),
                Ok(None) => {}
                Err(d) => {
                    let msg = d.message().to_owned();
                    self.err(from, inc.span, msg);
                    return None;
                }
            }
        }
        if !outside.is_empty() && outside.len() == candidates.len() {
            let main = &self.files[0].source.path;
            let mut d = Diagnostic::new(
                &self.parsed[from.idx()].source,
                inc.span,
                format!(
                    "included file \"{}\" is outside the directory of {main} and the include dirs, and includes are confined to them",
                    inc.value
                ),
            );
            for c in outside {
                d = d.with_note(format!("resolves to {c}"));
            }
            self.diags.push(d);
            return None;
        }
        let mut d = Diagnostic::new(
            &self.parsed[from.idx()].source,
            inc.span,
            format!("cannot find included file \"{}\"", inc.value),
        );
        for (c, disk) in candidates {
            let note = if disk {
                format!("searched {c}")
            } else {
                format!("searched {c} (in-memory files only)")
            };
            d = d.with_note(note);
        }
        self.diags.push(d);
        None
    }

    // ---- phase 2: declare ---------------------------------------------

    fn declare(&mut self) {
        for f in 0..self.parsed.len() {
            let file = FileId(f as u32);
            let n_items = self.parsed[f].doc.items.len();
            for i in 0..n_items {
                let item = &self.parsed[f].doc.items[i];
                let (name, span, def) = match item {
                    Item::Include(_) | Item::CppInclude(_) => continue,
                    Item::Namespace(ns) => {
                        let pair = (ns.scope.name.clone(), ns.name.name.clone());
                        self.files[f].namespaces.push(pair);
                        continue;
                    }
                    Item::Typedef(t) => {
                        let id = TypedefId(self.typedefs.len() as u32);
                        self.typedefs.push(TypedefDef {
                            name: t.name.name.clone(),
                            file,
                            target: TypeId(0),
                            annotations: Annotations::from_ast(&t.annotations),
                            span: t.name.span,
                        });
                        self.typedef_ast.push((file, i));
                        self.typedef_state.push(State::Todo);
                        (t.name.name.clone(), t.name.span, Def::Typedef(id))
                    }
                    Item::Const(c) => {
                        let id = ConstId(self.consts.len() as u32);
                        self.consts.push(ConstDef {
                            name: c.name.name.clone(),
                            file,
                            ty: TypeId(0),
                            value: ConstValue::Bool(false),
                            annotations: Annotations::from_ast(&c.annotations),
                            span: c.name.span,
                        });
                        self.const_ast.push((file, i));
                        (c.name.name.clone(), c.name.span, Def::Const(id))
                    }
                    Item::Enum(e) => {
                        let (name, span) = (e.name.name.clone(), e.name.span);
                        let id = self.build_enum(file, i);
                        (name, span, Def::Enum(id))
                    }
                    Item::Struct(s) => {
                        let id = StructId(self.structs.len() as u32);
                        self.structs.push(StructDef {
                            name: s.name.name.clone(),
                            file,
                            kind: s.kind.into(),
                            fields: Vec::new(),
                            by_id: IdIndex::build(&[]),
                            by_name: HashMap::default(),
                            required: Vec::new(),
                            annotations: Annotations::from_ast(&s.annotations),
                            span: s.name.span,
                            cache: Default::default(),
                        });
                        self.struct_ast.push(Some((file, i)));
                        (s.name.name.clone(), s.name.span, Def::Struct(id))
                    }
                    Item::Service(s) => {
                        let id = ServiceId(self.services.len() as u32);
                        self.services.push(ServiceDef {
                            name: s.name.name.clone(),
                            file,
                            extends: None,
                            methods: Vec::new(),
                            own_by_name: HashMap::default(),
                            annotations: Annotations::from_ast(&s.annotations),
                            span: s.name.span,
                        });
                        self.service_ast.push((file, i));
                        self.service_state.push(State::Todo);
                        (s.name.name.clone(), s.name.span, Def::Service(id))
                    }
                };
                if let Some(first) = self.def_spans.get(&(file, name.clone())).copied() {
                    let note = format!("first defined at {}", self.at(file, first));
                    self.err_with(file, span, format!("`{name}` is defined twice"), note);
                    continue;
                }
                self.def_spans.insert((file, name.clone()), span);
                self.files[f].scope.insert(name, def);
                self.files[f].defs.push(def);
            }
        }
    }

    fn build_enum(&mut self, file: FileId, item: usize) -> EnumId {
        let doc = Rc::clone(&self.parsed[file.idx()].doc);
        let Item::Enum(e) = &doc.items[item] else {
            unreachable!("build_enum is called on enum items");
        };
        let mut values = Vec::with_capacity(e.values.len());
        let mut by_name = HashMap::default();
        let mut by_value = HashMap::default();
        let mut next: i64 = 0;
        for v in &e.values {
            let (value, span) = match v.value {
                Some((n, span)) => (n, span),
                None => (next, v.name.span),
            };
            let Ok(value32) = i32::try_from(value) else {
                self.err(
                    file,
                    span,
                    format!(
                        "enum value `{}.{}` = {value} is out of range for i32",
                        e.name.name, v.name.name
                    ),
                );
                next = value.saturating_add(1);
                continue;
            };
            next = value + 1;
            let idx = values.len() as u32;
            if by_name.contains_key(&v.name.name) {
                self.err(
                    file,
                    v.name.span,
                    format!(
                        "enum value `{}` is defined twice in `{}`",
                        v.name.name, e.name.name
                    ),
                );
                continue;
            }
            by_name.insert(v.name.name.clone(), idx);
            by_value.entry(value32).or_insert(idx);
            values.push(EnumValueDef {
                name: v.name.name.clone(),
                value: value32,
                annotations: Annotations::from_ast(&v.annotations),
            });
        }
        let id = EnumId(self.enums.len() as u32);
        self.enums.push(EnumDef {
            name: e.name.name.clone(),
            file,
            values,
            by_name,
            by_value,
            annotations: Annotations::from_ast(&e.annotations),
            span: e.name.span,
        });
        id
    }

    // ---- name lookup --------------------------------------------------

    /// Finds a definition named as written in `file`: `Name` in the file
    /// itself, or `module.Name` in an included file. A module name may hold
    /// dots (`include "a.b.thrift"` is `a.b`); the longest included module
    /// that prefixes the name wins.
    fn lookup(&self, file: FileId, name: &str) -> Result<(FileId, Def), String> {
        let f = &self.files[file.idx()];
        if let Some(&d) = f.scope.get(name) {
            return Ok((file, d));
        }
        if let Some((module, _)) = name.split_once('.') {
            let Some((target, local)) = self.include_prefix(file, name) else {
                let hint = crate::suggest::hint(module, f.includes.keys().map(String::as_str));
                return Err(format!(
                    "unknown name `{name}`: `{module}` is not an included file{hint}"
                ));
            };
            let scope = &self.files[target.idx()].scope;
            return match scope.get(local) {
                Some(&d) => Ok((target, d)),
                None => Err(format!(
                    "unknown name `{name}`: {} has no definition `{local}`{}",
                    self.files[target.idx()].source.path,
                    crate::suggest::hint(local, scope.keys().map(String::as_str))
                )),
            };
        }
        let hint = crate::suggest::hint(name, f.scope.keys().map(String::as_str));
        Err(format!("unknown name `{name}`{hint}"))
    }

    /// The file included by `file` whose module name is the longest prefix
    /// of `name` followed by a dot, and the rest of `name`.
    fn include_prefix<'n>(&self, file: FileId, name: &'n str) -> Option<(FileId, &'n str)> {
        let includes = &self.files[file.idx()].includes;
        name.rmatch_indices('.').find_map(|(dot, _)| {
            let target = *includes.get(&name[..dot])?;
            Some((target, &name[dot + 1..]))
        })
    }

    // ---- phase 3: types -----------------------------------------------

    fn intern(
        &mut self,
        ty: Ty,
        typedef: Option<TypedefId>,
        annotations: &[ast::Annotation],
    ) -> TypeId {
        if annotations.is_empty()
            && let Some(&id) = self.plain_types.get(&(ty, typedef))
        {
            return id;
        }
        let id = TypeId(self.types.len() as u32);
        self.types.push(TypeDef {
            ty,
            typedef,
            annotations: Annotations::from_ast(annotations),
        });
        if annotations.is_empty() {
            self.plain_types.insert((ty, typedef), id);
        }
        id
    }

    fn resolve_type(&mut self, file: FileId, t: &ast::Type) -> Option<TypeId> {
        let ty = match &t.kind {
            TypeKind::Bool => Ty::Bool,
            TypeKind::Byte => Ty::Byte,
            TypeKind::I16 => Ty::I16,
            TypeKind::I32 => Ty::I32,
            TypeKind::I64 => Ty::I64,
            TypeKind::Double => Ty::Double,
            TypeKind::String => Ty::String,
            TypeKind::Binary => Ty::Binary,
            TypeKind::Uuid => Ty::Uuid,
            TypeKind::List(e) => Ty::List(self.resolve_type(file, e)?),
            TypeKind::Set(e) => Ty::Set(self.resolve_type(file, e)?),
            TypeKind::Map(k, v) => {
                let k = self.resolve_type(file, k);
                let v = self.resolve_type(file, v);
                Ty::Map(k?, v?)
            }
            TypeKind::Named(ident) => match self.lookup(file, &ident.name) {
                Ok((_, Def::Struct(s))) => Ty::Struct(s),
                Ok((_, Def::Enum(e))) => Ty::Enum(e),
                Ok((_, Def::Typedef(td))) => {
                    let target = self.resolve_typedef(td)?;
                    let ty = self.types[target.idx()].ty;
                    return Some(self.intern(ty, Some(td), &t.annotations));
                }
                Ok((_, Def::Const(_))) => {
                    self.err(
                        file,
                        ident.span,
                        format!("`{}` is a constant, not a type", ident.name),
                    );
                    return None;
                }
                Ok((_, Def::Service(_))) => {
                    self.err(
                        file,
                        ident.span,
                        format!("`{}` is a service, not a type", ident.name),
                    );
                    return None;
                }
                Err(msg) => {
                    self.err(
                        file,
                        ident.span,
                        msg.replacen("unknown name", "unknown type", 1),
                    );
                    return None;
                }
            },
        };
        Some(self.intern(ty, None, &t.annotations))
    }

    /// Resolves a typedef and, first, every typedef its type names, with an
    /// explicit stack: a chain of any length costs no native stack.
    fn resolve_typedef(&mut self, td: TypedefId) -> Option<TypeId> {
        let mut stack: Vec<(TypedefId, bool)> = vec![(td, false)];
        let mut deps: Vec<TypedefId> = Vec::new();
        while let Some(&(t, expanded)) = stack.last() {
            if expanded {
                stack.pop();
                self.finish_typedef(t);
                continue;
            }
            if self.typedef_state[t.idx()] != State::Todo {
                stack.pop();
                continue;
            }
            self.typedef_state[t.idx()] = State::InProgress;
            if let Some(top) = stack.last_mut() {
                top.1 = true;
            }
            self.typedef_deps(t, &mut deps);
            for d in deps.drain(..) {
                match self.typedef_state[d.idx()] {
                    State::Todo => stack.push((d, false)),
                    State::InProgress => {
                        // On the current path: a cycle.
                        let (file, _) = self.typedef_ast[d.idx()];
                        let span = self.typedefs[d.idx()].span;
                        let name = self.typedefs[d.idx()].name.clone();
                        self.err(
                            file,
                            span,
                            format!(
                                "typedef `{name}` refers to itself through a cycle of typedefs"
                            ),
                        );
                        self.typedef_state[d.idx()] = State::Failed;
                    }
                    State::Done(_) | State::Failed => {}
                }
            }
        }
        match self.typedef_state[td.idx()] {
            State::Done(t) => Some(t),
            _ => None,
        }
    }

    /// The typedefs named anywhere in `td`'s type (containers included).
    fn typedef_deps(&self, td: TypedefId, out: &mut Vec<TypedefId>) {
        let (file, item) = self.typedef_ast[td.idx()];
        let Item::Typedef(t) = &self.parsed[file.idx()].doc.items[item] else {
            unreachable!("typedef ids point at typedef items");
        };
        let mut todo: Vec<&ast::Type> = vec![&t.ty];
        while let Some(ty) = todo.pop() {
            match &ty.kind {
                TypeKind::List(e) | TypeKind::Set(e) => todo.push(e),
                TypeKind::Map(k, v) => {
                    todo.push(v);
                    todo.push(k);
                }
                TypeKind::Named(ident) => {
                    if let Ok((_, Def::Typedef(d))) = self.lookup(file, &ident.name) {
                        out.push(d);
                    }
                }
                _ => {}
            }
        }
        // Pushed in reverse so the first named is resolved first.
        out.reverse();
    }

    /// Resolves one typedef whose named typedefs are all resolved (or failed).
    fn finish_typedef(&mut self, td: TypedefId) {
        if self.typedef_state[td.idx()] != State::InProgress {
            return;
        }
        let (file, item) = self.typedef_ast[td.idx()];
        let doc = Rc::clone(&self.parsed[file.idx()].doc);
        let Item::Typedef(t) = &doc.items[item] else {
            unreachable!("typedef ids point at typedef items");
        };
        let resolved = self.resolve_type(file, &t.ty);
        if self.typedef_state[td.idx()] == State::Failed {
            return;
        }
        self.typedef_state[td.idx()] = match resolved {
            Some(t) => {
                self.typedefs[td.idx()].target = t;
                State::Done(t)
            }
            None => State::Failed,
        };
    }

    fn resolve_typedefs(&mut self) {
        for i in 0..self.typedefs.len() {
            self.resolve_typedef(TypedefId(i as u32));
        }
    }

    /// Builds field definitions (types resolved, defaults pending) and checks
    /// ids and names. `what` names the container in messages.
    fn build_fields(
        &mut self,
        file: FileId,
        fields: &[ast::Field],
        what: Owner<'_>,
    ) -> Vec<FieldDef> {
        let mut out: Vec<FieldDef> = Vec::with_capacity(fields.len());
        // Duplicate checks scan small lists and index large ones.
        let indexed = fields.len() > 32;
        let mut by_id: HashMap<i16, usize> = HashMap::default();
        let mut by_name: HashMap<&str, usize> = HashMap::default();
        // The id for the next field written without one. As in Apache
        // Thrift, it counts down from -1 and continues below an explicit
        // id <= 0, so `-1: i32 a, i32 b` gives `b` the id -2.
        let mut implicit: i32 = -1;
        for f in fields {
            let id = match f.id {
                Some((n, span)) => match i16::try_from(n) {
                    Ok(id) => {
                        if id <= 0 {
                            implicit = implicit.min(i32::from(id) - 1);
                        }
                        id
                    }
                    Err(_) => {
                        self.err(file, span, format!("field id {n} is out of range for i16"));
                        continue;
                    }
                },
                None => match i16::try_from(implicit) {
                    Ok(id) => {
                        implicit -= 1;
                        id
                    }
                    Err(_) => {
                        self.err(
                            file,
                            f.name.span,
                            format!(
                                "no field id left for `{}` (ids go below -32768)",
                                f.name.name
                            ),
                        );
                        continue;
                    }
                },
            };
            let prev = if indexed {
                by_id.get(&id).map(|&i| &out[i])
            } else {
                out.iter().find(|p| p.id == id)
            };
            if let Some(prev) = prev {
                let note = format!(
                    "`{}` has id {id} at {}",
                    prev.name,
                    self.at(file, prev.span)
                );
                let span = f.id.map_or(f.name.span, |(_, s)| s);
                self.err_with(
                    file,
                    span,
                    format!("duplicate field id {id} in {what}"),
                    note,
                );
                continue;
            }
            let prev = if indexed {
                by_name.get(f.name.name.as_str()).map(|&i| &out[i])
            } else {
                out.iter().find(|p| p.name == f.name.name)
            };
            if let Some(prev) = prev {
                let note = format!("first declared at {}", self.at(file, prev.span));
                self.err_with(
                    file,
                    f.name.span,
                    format!("duplicate field name `{}` in {what}", f.name.name),
                    note,
                );
                continue;
            }
            let Some(ty) = self.resolve_type(file, &f.ty) else {
                continue;
            };
            let annotations = Annotations::from_ast(&f.annotations);
            let alias = annotations.get("go.tag").and_then(go_tag_json_name);
            if indexed {
                by_id.insert(id, out.len());
                by_name.insert(&f.name.name, out.len());
            }
            out.push(FieldDef {
                id,
                name: f.name.name.clone(),
                alias,
                requiredness: f.requiredness,
                ty,
                default: None,
                annotations,
                span: f.name.span,
            });
        }
        out
    }

    fn finish_struct(&mut self, id: StructId, fields: Vec<FieldDef>) {
        let s = &mut self.structs[id.idx()];
        s.by_id = IdIndex::build(&fields);
        let mut by_name = HashMap::with_capacity_and_hasher(fields.len(), Default::default());
        for (i, f) in fields.iter().enumerate() {
            by_name.insert(f.name.clone(), i as u32);
        }
        if self.options.go_tag_alias {
            for (i, f) in fields.iter().enumerate() {
                if let Some(a) = &f.alias {
                    by_name.insert(a.clone(), i as u32);
                }
            }
        }
        s.by_name = by_name;
        s.required = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.requiredness == Requiredness::Required)
            .map(|(i, _)| i as u32)
            .collect();
        s.fields = fields;
    }

    fn resolve_structs(&mut self) {
        for i in 0..self.structs.len() {
            let Some((file, item)) = self.struct_ast[i] else {
                continue;
            };
            let doc = Rc::clone(&self.parsed[file.idx()].doc);
            let Item::Struct(s) = &doc.items[item] else {
                unreachable!("struct ids point at struct items");
            };
            let fields = self.build_fields(file, &s.fields, Owner::Struct(&s.name.name));
            self.finish_struct(StructId(i as u32), fields);
        }
    }

    /// Resolves every service's `extends` and methods without recursion:
    /// parents are found first, cycles broken (one error per cycle, at the
    /// service where the walk closed it), then services are built parents
    /// first. A method name inherited through `extends` is found through
    /// the services defining that name and an ancestor test on the
    /// `extends` forest, so the work is linear in methods for distinct
    /// names, whatever the depth of the chain.
    fn resolve_services(&mut self) {
        let n = self.services.len();
        let mut parent: Vec<Option<ServiceId>> = vec![None; n];
        for (i, slot) in parent.iter_mut().enumerate() {
            let (file, item) = self.service_ast[i];
            let doc = Rc::clone(&self.parsed[file.idx()].doc);
            let Item::Service(svc) = &doc.items[item] else {
                unreachable!("service ids point at service items");
            };
            if let Some(ext) = &svc.extends {
                match self.lookup(file, &ext.name) {
                    Ok((_, Def::Service(p))) => *slot = Some(p),
                    Ok(_) => self.err(file, ext.span, format!("`{}` is not a service", ext.name)),
                    Err(msg) => self.err(
                        file,
                        ext.span,
                        msg.replacen("unknown name", "unknown service", 1),
                    ),
                }
            }
        }
        // Cycles: walk each chain, marking the services on the walk.
        let mut path: Vec<usize> = Vec::new();
        for i in 0..n {
            let mut cur = i;
            loop {
                match self.service_state[cur] {
                    State::Todo => {
                        self.service_state[cur] = State::InProgress;
                        path.push(cur);
                        match parent[cur] {
                            Some(p) => cur = p.idx(),
                            None => break,
                        }
                    }
                    State::InProgress => {
                        let (file, _) = self.service_ast[cur];
                        let span = self.services[cur].span;
                        let name = self.services[cur].name.clone();
                        self.err(
                            file,
                            span,
                            format!("service `{name}` extends itself through a cycle of `extends`"),
                        );
                        self.service_state[cur] = State::Failed;
                        break;
                    }
                    State::Done(()) | State::Failed => break,
                }
            }
            for s in path.drain(..) {
                if self.service_state[s] == State::InProgress {
                    self.service_state[s] = State::Done(());
                }
            }
        }
        // The `extends` forest without failed services, and its pre/post
        // order numbers (ancestor test in O(1)).
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, up) in parent.iter_mut().enumerate() {
            if self.service_state[i] == State::Failed {
                continue;
            }
            match *up {
                Some(p) if self.service_state[p.idx()] != State::Failed => {
                    children[p.idx()].push(i);
                }
                _ => {
                    *up = None;
                    roots.push(i);
                }
            }
        }
        let mut pre = vec![0u32; n];
        let mut post = vec![0u32; n];
        let mut order = Vec::with_capacity(n);
        let mut clock = 0u32;
        let mut stack: Vec<(usize, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((s, done)) = stack.pop() {
            if done {
                post[s] = clock;
                continue;
            }
            clock += 1;
            pre[s] = clock;
            order.push(s);
            stack.push((s, true));
            stack.extend(children[s].iter().rev().map(|&c| (c, false)));
        }
        let mut definers: HashMap<String, Vec<MethodId>> = HashMap::default();
        for s in order {
            self.build_service(ServiceId(s as u32), parent[s], &pre, &post, &mut definers);
        }
    }

    fn build_service(
        &mut self,
        id: ServiceId,
        parent: Option<ServiceId>,
        pre: &[u32],
        post: &[u32],
        definers: &mut HashMap<String, Vec<MethodId>>,
    ) {
        let (file, item) = self.service_ast[id.idx()];
        let doc = Rc::clone(&self.parsed[file.idx()].doc);
        let Item::Service(svc) = &doc.items[item] else {
            unreachable!("service ids point at service items");
        };
        self.services[id.idx()].extends = parent;
        let me = id.idx();
        // `a` is a strict ancestor of `me` in the `extends` forest.
        let is_ancestor = |a: usize| a != me && pre[a] < pre[me] && post[me] <= post[a];

        let mut methods = Vec::with_capacity(svc.functions.len());
        let mut own: HashMap<String, u32> = HashMap::default();
        let mut own_spans: HashMap<String, Span> = HashMap::default();
        for func in &svc.functions {
            if let Some(first) = own_spans.get(&func.name.name).copied() {
                let note = format!("first declared at {}", self.at(file, first));
                self.err_with(
                    file,
                    func.name.span,
                    format!(
                        "method `{}` is defined twice in `{}`",
                        func.name.name, svc.name.name
                    ),
                    note,
                );
                continue;
            }
            own_spans.insert(func.name.name.clone(), func.name.span);
            // As in Apache Thrift, a method cannot reuse a name it inherits.
            let inherited = definers
                .get(&func.name.name)
                .and_then(|ds| ds.iter().copied().find(|m| is_ancestor(m.service.idx())));
            if let Some(prev) = inherited {
                let parent = &self.services[prev.service.idx()];
                let (pfile, pname) = (parent.file, parent.name.clone());
                let pspan = parent.methods[prev.index as usize].span;
                let note = format!(
                    "inherited from `{pname}`, declared at {}",
                    self.at(pfile, pspan)
                );
                self.err_with(
                    file,
                    func.name.span,
                    format!(
                        "method `{}` of `{}` is already defined in the service it extends",
                        func.name.name, svc.name.name
                    ),
                    note,
                );
                continue;
            }
            let method = self.build_method(file, &svc.name.name, func);
            let mid = MethodId {
                service: id,
                index: methods.len() as u32,
            };
            methods.push(method);
            own.insert(func.name.name.clone(), mid.index);
            definers
                .entry(func.name.name.clone())
                .or_default()
                .push(mid);
        }
        let s = &mut self.services[id.idx()];
        s.methods = methods;
        s.own_by_name = own;
    }

    fn build_method(&mut self, file: FileId, service: &str, func: &ast::Function) -> MethodDef {
        let name = &func.name.name;
        if func.oneway && func.returns.is_some() {
            self.err(
                file,
                func.name.span,
                format!("oneway method `{name}` must return void"),
            );
        }
        if func.oneway && !func.throws.is_empty() {
            self.err(
                file,
                func.name.span,
                format!("oneway method `{name}` cannot throw exceptions"),
            );
        }
        let returns = func
            .returns
            .as_ref()
            .and_then(|t| self.resolve_type(file, t));

        let mut args_fields = self.build_fields(file, &func.params, Owner::Params(service, name));
        // Parameter defaults, like field defaults; constants are evaluated
        // from their definitions, so they need not be resolved yet.
        for param in &func.params {
            let Some(value) = &param.default else {
                continue;
            };
            if let Some(pos) = args_fields.iter().position(|f| f.name == param.name.name) {
                let ty = args_fields[pos].ty;
                args_fields[pos].default = self.eval(file, value, ty, 0);
            }
        }
        let param_ty = match args_fields.as_slice() {
            [only] => Some(only.ty),
            _ => None,
        };
        let args = self.synth_struct(
            file,
            format!("{name}_args"),
            StructKindExt::Args,
            func.name.span,
        );
        self.finish_struct(args, args_fields);

        let mut result_fields = Vec::with_capacity(func.throws.len() + 1);
        if let Some(ty) = returns {
            result_fields.push(FieldDef {
                id: 0,
                name: "success".to_owned(),
                alias: None,
                requiredness: Requiredness::Optional,
                ty,
                default: None,
                annotations: Annotations::default(),
                span: func.name.span,
            });
        }
        let throws = self.build_fields(file, &func.throws, Owner::Throws(service, name));
        for mut f in throws {
            if f.id == 0 {
                self.err(
                    file,
                    f.span,
                    format!(
                        "exception `{}` of `{name}` uses id 0, which is the result's success slot",
                        f.name
                    ),
                );
                continue;
            }
            if !matches!(self.types[f.ty.idx()].ty, Ty::Struct(_)) {
                self.err(
                    file,
                    f.span,
                    format!(
                        "exception `{}` of `{name}` is not a struct or exception type",
                        f.name
                    ),
                );
                continue;
            }
            f.requiredness = Requiredness::Optional;
            result_fields.push(f);
        }
        let result = self.synth_struct(
            file,
            format!("{name}_result"),
            StructKindExt::Result,
            func.name.span,
        );
        self.finish_struct(result, result_fields);

        let streaming = self.streaming_mode(file, func, param_ty, returns);
        MethodDef {
            name: name.clone(),
            oneway: func.oneway,
            streaming,
            returns,
            args,
            result,
            annotations: Annotations::from_ast(&func.annotations),
            span: func.name.span,
        }
    }

    /// Parses `streaming.mode` and checks a streaming method's shape: one
    /// struct parameter, a struct return, not oneway (the messages are bare
    /// structs, spec §7.5).
    fn streaming_mode(
        &mut self,
        file: FileId,
        func: &ast::Function,
        param_ty: Option<TypeId>,
        returns: Option<TypeId>,
    ) -> StreamingMode {
        let Some(ann) = func
            .annotations
            .iter()
            .rev()
            .find(|a| a.key.name == StreamingMode::ANNOTATION)
        else {
            return StreamingMode::None;
        };
        let name = &func.name.name;
        let value = ann.value.as_ref().map_or("", |v| v.value.as_str());
        let Some(mode) = StreamingMode::from_annotation(value) else {
            self.err(
                file,
                ann.key.span,
                format!(
                    "method `{name}`: unknown streaming.mode `{value}` \
                     (expected unary, client, server or bidirectional)"
                ),
            );
            return StreamingMode::None;
        };
        if !mode.is_streaming() {
            return mode;
        }
        let is_struct = |this: &Self, t: TypeId| matches!(this.types[t.idx()].ty, Ty::Struct(_));
        if func.oneway {
            self.err(
                file,
                func.name.span,
                format!("streaming method `{name}` cannot be oneway"),
            );
        }
        match func.params.as_slice() {
            [p] => {
                if let Some(t) = param_ty
                    && !is_struct(self, t)
                {
                    self.err(
                        file,
                        p.name.span,
                        format!(
                            "streaming method `{name}`: parameter `{}` must be a struct \
                             (streaming messages are bare structs)",
                            p.name.name
                        ),
                    );
                }
            }
            _ => self.err(
                file,
                func.name.span,
                format!(
                    "streaming method `{name}` must take exactly one struct parameter, not {}",
                    func.params.len()
                ),
            ),
        }
        match returns {
            Some(t) if is_struct(self, t) => {}
            _ => self.err(
                file,
                func.name.span,
                format!("streaming method `{name}` must return a struct"),
            ),
        }
        mode
    }

    fn synth_struct(
        &mut self,
        file: FileId,
        name: String,
        kind: StructKindExt,
        span: Span,
    ) -> StructId {
        let id = StructId(self.structs.len() as u32);
        self.structs.push(StructDef {
            name,
            file,
            kind,
            fields: Vec::new(),
            by_id: IdIndex::build(&[]),
            by_name: HashMap::default(),
            required: Vec::new(),
            annotations: Annotations::default(),
            span,
            cache: Default::default(),
        });
        self.struct_ast.push(None);
        id
    }

    // ---- phase 4: values ----------------------------------------------

    fn resolve_consts(&mut self) {
        for i in 0..self.consts.len() {
            let (file, item) = self.const_ast[i];
            let doc = Rc::clone(&self.parsed[file.idx()].doc);
            let Item::Const(c) = &doc.items[item] else {
                unreachable!("const ids point at const items");
            };
            let Some(ty) = self.resolve_type(file, &c.ty) else {
                continue;
            };
            self.consts[i].ty = ty;
            self.const_stack.push(ConstId(i as u32));
            if let Some(v) = self.eval(file, &c.value, ty, 0) {
                self.consts[i].value = v;
            }
            self.const_stack.pop();
        }
    }

    fn resolve_defaults(&mut self) {
        for i in 0..self.structs.len() {
            let Some((file, item)) = self.struct_ast[i] else {
                continue;
            };
            let doc = Rc::clone(&self.parsed[file.idx()].doc);
            let Item::Struct(s) = &doc.items[item] else {
                unreachable!("struct ids point at struct items");
            };
            for f in &s.fields {
                let Some(value) = &f.default else {
                    continue;
                };
                let Some(pos) = self.structs[i]
                    .fields
                    .iter()
                    .position(|d| d.name == f.name.name)
                else {
                    continue;
                };
                let ty = self.structs[i].fields[pos].ty;
                if let Some(v) = self.eval(file, value, ty, 0) {
                    self.structs[i].fields[pos].default = Some(v);
                }
            }
        }
    }

    fn type_name(&self, ty: TypeId) -> String {
        let p = PoolView { l: self };
        p.display(ty)
    }

    /// Evaluates a constant expression written in `file` against type `ty`.
    fn eval(
        &mut self,
        file: FileId,
        v: &ast::ConstValue,
        ty: TypeId,
        depth: usize,
    ) -> Option<ConstValue> {
        if depth > MAX_CONST_DEPTH {
            self.err(file, v.span, "constant expression nests too deeply");
            return None;
        }
        if let ConstKind::Ident(name) = &v.kind {
            return self.eval_ident(file, v.span, name, ty, depth);
        }
        let t = self.types[ty.idx()].ty;
        let mismatch = |l: &mut Self| {
            let expected = l.type_name(ty);
            l.err(
                file,
                v.span,
                format!("{} is not a valid {expected}", describe_const(v)),
            );
            None
        };
        match (t, &v.kind) {
            (Ty::Bool, ConstKind::Int(n @ (0 | 1))) => Some(ConstValue::Bool(*n == 1)),
            (Ty::Byte | Ty::I16 | Ty::I32 | Ty::I64 | Ty::Enum(_), ConstKind::Int(n)) => {
                let (lo, hi, name) = int_range(t);
                if *n < lo || *n > hi {
                    self.err(file, v.span, format!("{n} is out of range for {name}"));
                    return None;
                }
                if let Ty::Enum(e) = t
                    && !self.enums[e.idx()].by_value.contains_key(&(*n as i32))
                {
                    let en = self.enums[e.idx()].name.clone();
                    self.err(file, v.span, format!("{n} is not a value of enum `{en}`"));
                    return None;
                }
                Some(ConstValue::Int(*n))
            }
            (Ty::Double, ConstKind::Int(n)) => Some(ConstValue::Double(*n as f64)),
            (Ty::Double, ConstKind::Double(d)) => Some(ConstValue::Double(*d)),
            (Ty::String | Ty::Binary, ConstKind::String(s)) => Some(ConstValue::String(s.clone())),
            (Ty::Uuid, ConstKind::String(s)) => {
                // Apache also takes the GUID spelling in braces.
                let bare = s
                    .strip_prefix('{')
                    .and_then(|r| r.strip_suffix('}'))
                    .unwrap_or(s);
                if is_uuid(bare) {
                    Some(ConstValue::String(bare.to_owned()))
                } else {
                    self.err(
                        file,
                        v.span,
                        format!("\"{s}\" is not a uuid (expected 8-4-4-4-12 hex digits)"),
                    );
                    None
                }
            }
            (Ty::List(e) | Ty::Set(e), ConstKind::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.eval(file, item, e, depth + 1) {
                        Some(x) => out.push(x),
                        None => ok = false,
                    }
                }
                ok.then_some(ConstValue::List(out))
            }
            // An empty `{}` is accepted for lists and sets, as Apache does.
            (Ty::List(_) | Ty::Set(_), ConstKind::Map(m)) if m.is_empty() => {
                Some(ConstValue::List(Vec::new()))
            }
            (Ty::Map(k, val), ConstKind::Map(pairs)) => {
                let mut out = Vec::with_capacity(pairs.len());
                let mut ok = true;
                for (pk, pv) in pairs {
                    let kk = self.eval(file, pk, k, depth + 1);
                    let vv = self.eval(file, pv, val, depth + 1);
                    match (kk, vv) {
                        (Some(a), Some(b)) => out.push((a, b)),
                        _ => ok = false,
                    }
                }
                ok.then_some(ConstValue::Map(out))
            }
            (Ty::Struct(s), ConstKind::Map(pairs)) => {
                let mut out = Vec::with_capacity(pairs.len());
                let mut ok = true;
                for (pk, pv) in pairs {
                    let ConstKind::String(fname) = &pk.kind else {
                        self.err(
                            file,
                            pk.span,
                            "struct constant keys must be field names in quotes",
                        );
                        ok = false;
                        continue;
                    };
                    let sd = &self.structs[s.idx()];
                    let Some(field) = sd.fields.iter().find(|f| &f.name == fname) else {
                        let sname = sd.name.clone();
                        self.err(file, pk.span, format!("`{sname}` has no field `{fname}`"));
                        ok = false;
                        continue;
                    };
                    let (fid, fty) = (field.id, field.ty);
                    match self.eval(file, pv, fty, depth + 1) {
                        Some(x) => out.push((fid, x)),
                        None => ok = false,
                    }
                }
                ok.then_some(ConstValue::Struct(out))
            }
            _ => mismatch(self),
        }
    }

    fn eval_ident(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        ty: TypeId,
        depth: usize,
    ) -> Option<ConstValue> {
        let t = self.types[ty.idx()].ty;
        if name == "true" || name == "false" {
            if t == Ty::Bool {
                return Some(ConstValue::Bool(name == "true"));
            }
            let expected = self.type_name(ty);
            self.err(file, span, format!("`{name}` is not a valid {expected}"));
            return None;
        }
        // A constant.
        if let Ok((cfile, Def::Const(c))) = self.lookup(file, name) {
            if self.const_stack.contains(&c) {
                self.err(file, span, format!("constant `{name}` refers to itself"));
                return None;
            }
            let (_, item) = self.const_ast[c.idx()];
            let doc = Rc::clone(&self.parsed[cfile.idx()].doc);
            let Item::Const(cd) = &doc.items[item] else {
                unreachable!("const ids point at const items");
            };
            self.const_stack.push(c);
            let out = self.eval(cfile, &cd.value, ty, depth + 1);
            self.const_stack.pop();
            return out;
        }
        // An enum value: `Enum.V`, `module.Enum.V`, `Alias.V` through a
        // typedef of the enum, or bare `V` of the expected enum.
        let found = match name.rsplit_once('.') {
            Some((enum_name, value)) => match self.lookup(file, enum_name) {
                Ok((_, Def::Enum(e))) => Some((e, value)),
                Ok((_, Def::Typedef(td))) => match self.typedef_state[td.idx()] {
                    State::Done(target) => match self.types[target.idx()].ty {
                        Ty::Enum(e) => Some((e, value)),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            },
            None => match t {
                Ty::Enum(e) => Some((e, name)),
                _ => None,
            },
        };
        // Apache Thrift resolves a dotted name against the expected enum by
        // its last segment alone: `module.V` for an enum of that included
        // module is fine; anything else that only resolves this way warns.
        if let (Ty::Enum(target), Some((prefix, value))) = (t, name.rsplit_once('.'))
            && found
                .is_none_or(|(e, v)| e != target || !self.enums[e.idx()].by_name.contains_key(v))
            && let Some(&idx) = self.enums[target.idx()].by_name.get(value)
        {
            let ed = &self.enums[target.idx()];
            let n = ed.values[idx as usize].value;
            let of_module = self
                .include_prefix(file, name)
                .is_some_and(|(f, rest)| f == ed.file && rest == value);
            if !of_module {
                let en = ed.name.clone();
                let msg = match found {
                    Some((e, _)) if e != target => format!(
                        "`{name}` is read as `{en}.{value}`, the expected enum's value of that name \
                         (Apache Thrift looks up only the last segment)"
                    ),
                    _ => format!(
                        "`{prefix}` is not the enum `{en}`; `{name}` is read as `{en}.{value}` \
                         (Apache Thrift looks up only the last segment)"
                    ),
                };
                self.warn(file, span, msg);
            }
            return Some(ConstValue::Int(i64::from(n)));
        }
        if let Some((e, value)) = found {
            let ed = &self.enums[e.idx()];
            let Some(&idx) = ed.by_name.get(value) else {
                let en = ed.name.clone();
                let hint = crate::suggest::hint(value, ed.values.iter().map(|v| v.name.as_str()));
                self.err(
                    file,
                    span,
                    format!("enum `{en}` has no value `{value}`{hint}"),
                );
                return None;
            };
            let n = ed.values[idx as usize].value;
            return match t {
                Ty::Enum(target) if target != e => {
                    let (a, b) = (self.enums[target.idx()].name.clone(), ed.name.clone());
                    self.err(
                        file,
                        span,
                        format!("`{name}` is a value of enum `{b}`, not `{a}`"),
                    );
                    None
                }
                Ty::Enum(_) | Ty::I32 | Ty::I64 => Some(ConstValue::Int(i64::from(n))),
                Ty::Byte | Ty::I16 => {
                    let (lo, hi, tn) = int_range(t);
                    if i64::from(n) < lo || i64::from(n) > hi {
                        self.err(file, span, format!("{n} is out of range for {tn}"));
                        return None;
                    }
                    Some(ConstValue::Int(i64::from(n)))
                }
                Ty::Double => Some(ConstValue::Double(f64::from(n))),
                _ => {
                    let expected = self.type_name(ty);
                    self.err(
                        file,
                        span,
                        format!("enum value `{name}` is not a valid {expected}"),
                    );
                    None
                }
            };
        }
        match self.lookup(file, name) {
            Ok(_) => self.err(
                file,
                span,
                format!("`{name}` is not a constant or enum value"),
            ),
            Err(msg) => self.err(
                file,
                span,
                msg.replacen("unknown name", "unknown constant", 1),
            ),
        }
        None
    }
}

/// Renders type names during linking, before the pool exists.
struct PoolView<'a, 'l> {
    l: &'a Linker<'l>,
}

impl PoolView<'_, '_> {
    fn display(&self, id: TypeId) -> String {
        let t = &self.l.types[id.idx()];
        if let Some(td) = t.typedef {
            return self.l.typedefs[td.idx()].name.clone();
        }
        match t.ty {
            Ty::Bool => "bool".into(),
            Ty::Byte => "byte".into(),
            Ty::I16 => "i16".into(),
            Ty::I32 => "i32".into(),
            Ty::I64 => "i64".into(),
            Ty::Double => "double".into(),
            Ty::String => "string".into(),
            Ty::Binary => "binary".into(),
            Ty::Uuid => "uuid".into(),
            Ty::List(e) => format!("list<{}>", self.display(e)),
            Ty::Set(e) => format!("set<{}>", self.display(e)),
            Ty::Map(k, v) => format!("map<{},{}>", self.display(k), self.display(v)),
            Ty::Struct(s) => self.l.structs[s.idx()].name.clone(),
            Ty::Enum(e) => self.l.enums[e.idx()].name.clone(),
        }
    }
}

fn int_range(t: Ty) -> (i64, i64, &'static str) {
    match t {
        Ty::Byte => (i64::from(i8::MIN), i64::from(i8::MAX), "byte"),
        Ty::I16 => (i64::from(i16::MIN), i64::from(i16::MAX), "i16"),
        Ty::I32 | Ty::Enum(_) => (i64::from(i32::MIN), i64::from(i32::MAX), "i32"),
        _ => (i64::MIN, i64::MAX, "i64"),
    }
}

fn describe_const(v: &ast::ConstValue) -> String {
    match &v.kind {
        ConstKind::Int(n) => format!("integer {n}"),
        ConstKind::Double(d) => format!("number {d}"),
        ConstKind::String(s) => format!("string \"{s}\""),
        ConstKind::Ident(i) => format!("`{i}`"),
        ConstKind::List(_) => "a list".into(),
        ConstKind::Map(_) => "a map".into(),
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The json name in a `go.tag` value: `json:"id,omitempty"` → `id`.
fn go_tag_json_name(tag: &str) -> Option<String> {
    let start = tag.find("json:\"")? + 6;
    let rest = &tag[start..];
    let end = rest.find('"')?;
    let name = rest[..end].split(',').next().unwrap_or("");
    (!name.is_empty() && name != "-").then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_tag_json_names() {
        assert_eq!(go_tag_json_name(r#"json:"id""#).as_deref(), Some("id"));
        assert_eq!(
            go_tag_json_name(r#"json:"MyID,omitempty" db:"x""#).as_deref(),
            Some("MyID")
        );
        assert_eq!(go_tag_json_name(r#"json:",omitempty""#), None);
        assert_eq!(go_tag_json_name(r#"db:"x""#), None);
        assert_eq!(go_tag_json_name(r#"json:"-""#), None);
    }

    #[test]
    fn uuid_shape() {
        assert!(is_uuid("00112233-4455-6677-8899-aabbccddeeff"));
        assert!(!is_uuid("00112233-4455-6677-8899-aabbccddeefg"));
        assert!(!is_uuid("0011223344556677"));
    }
}
