//! Facts about `testdata/idl/corpus/`, loaded from disk through its
//! includes, plus a golden dump of everything linked
//! (`testdata/idl/golden/corpus/main.txt`).

use std::fmt::Write as _;

use anycall_idl::{
    Annotations, ConstValue, FieldDescriptor, Loader, NamedType, Pool, PoolOptions, Requiredness,
    StructDescriptor, StructKind, TypeKind,
};

use crate::golden;

fn load(options: PoolOptions) -> Pool {
    let main = golden::idl_dir().join("corpus/main.thrift");
    Loader::new()
        .options(options)
        .load(main.to_str().expect("utf-8 path"))
        .unwrap_or_else(|e| panic!("the corpus must load:\n{e}"))
}

fn corpus() -> Pool {
    load(PoolOptions { go_tag_alias: true })
}

fn strukt<'a>(pool: &'a Pool, name: &str) -> StructDescriptor<'a> {
    pool.find_struct(name)
        .unwrap_or_else(|| panic!("no struct `{name}`"))
}

fn field<'a>(pool: &'a Pool, strukt_name: &str, field_name: &str) -> FieldDescriptor<'a> {
    strukt(pool, strukt_name)
        .field_by_name(field_name)
        .unwrap_or_else(|| panic!("no field `{strukt_name}.{field_name}`"))
}

fn konst<'a>(pool: &'a Pool, name: &str) -> &'a ConstValue {
    pool.find_const(name)
        .unwrap_or_else(|| panic!("no const `{name}`"))
        .value()
}

fn s(v: &str) -> ConstValue {
    ConstValue::String(v.to_owned())
}

fn ints(v: &[i64]) -> ConstValue {
    ConstValue::List(v.iter().map(|&n| ConstValue::Int(n)).collect())
}

fn pairs(a: &Annotations) -> Vec<(&str, Option<&str>)> {
    a.iter().collect()
}

#[test]
fn files_modules_and_namespaces() {
    let pool = corpus();
    let files: Vec<(String, &str)> = pool
        .files()
        .map(|f| (golden::relative_paths(f.path()), f.module()))
        .collect();
    // Main first, then includes depth-first; `common` is loaded once although
    // `item/item.thrift` includes it again as `../shared/common.thrift`.
    assert_eq!(
        files,
        [
            ("corpus/main.thrift".to_owned(), "main"),
            ("corpus/shared/common.thrift".to_owned(), "common"),
            ("corpus/item/item.thrift".to_owned(), "item"),
        ]
    );
    let main = pool.main_file();
    let includes: Vec<&str> = main.includes().map(|f| f.module()).collect();
    assert_eq!(includes, ["common", "item"]);
    let item = pool.files().nth(2).unwrap();
    assert_eq!(
        item.includes().next().unwrap().id(),
        pool.files().nth(1).unwrap().id()
    );

    assert_eq!(main.namespace("go"), Some("life"));
    assert_eq!(main.namespace("py.twisted"), Some("life.twisted"));
    assert_eq!(main.namespace("java"), Some("life"), "falls back to `*`");
    assert_eq!(item.namespace("rs"), Some("life_item"));
    assert_eq!(
        item.namespace("java"),
        None,
        "item.thrift has no `*` namespace"
    );
}

#[test]
fn implicit_enum_values_continue_from_the_last_explicit_one() {
    let pool = corpus();
    let Some(NamedType::Enum(status)) = pool.find_type("common.Status") else {
        panic!("common.Status is an enum");
    };
    let values: Vec<(&str, i32)> = status.values().collect();
    assert_eq!(
        values,
        [
            ("UNKNOWN", 0),
            ("ACTIVE", 1),
            ("DISABLED", 2),
            ("DELETED", 16),
            ("ARCHIVED", 17),
        ]
    );
    assert_eq!(status.value("ARCHIVED"), Some(17));
    assert_eq!(status.name_of(16), Some("DELETED"));
    assert_eq!(status.name_of(3), None);
    assert_eq!(status.full_name(), "common.Status");
}

#[test]
fn constant_values() {
    let pool = corpus();
    assert_eq!(konst(&pool, "GREETING"), &s("hello \"world\""));
    assert_eq!(konst(&pool, "SINGLE"), &s("it's"));
    assert_eq!(konst(&pool, "RATIO"), &ConstValue::Double(2.5e-3));
    assert_eq!(konst(&pool, "WHOLE"), &ConstValue::Double(3.0));
    assert_eq!(konst(&pool, "BIG"), &ConstValue::Int(i64::MAX));
    assert_eq!(konst(&pool, "NEG"), &ConstValue::Int(-12));
    assert_eq!(konst(&pool, "SMALL"), &ConstValue::Int(127));
    assert_eq!(konst(&pool, "TINY"), &ConstValue::Int(-1));
    assert_eq!(konst(&pool, "YES"), &ConstValue::Bool(true));
    assert_eq!(konst(&pool, "NO"), &ConstValue::Bool(false));
    assert_eq!(konst(&pool, "PAGE"), &ConstValue::Int(100));
    assert_eq!(konst(&pool, "PICKED"), &ConstValue::Int(1));
    assert_eq!(konst(&pool, "PRIMES"), &ints(&[2, 3, 5, 7]));
    assert_eq!(
        konst(&pool, "GROUPS"),
        &ConstValue::Map(vec![(s("odd"), ints(&[1, 3])), (s("even"), ints(&[2, 4]))])
    );
    assert_eq!(
        konst(&pool, "NAMES"),
        &ConstValue::Map(vec![
            (ConstValue::Int(1), s("one")),
            (ConstValue::Int(2), s("two"))
        ])
    );
    // A struct constant is keyed by field id.
    assert_eq!(
        konst(&pool, "SAMPLE"),
        &ConstValue::Struct(vec![
            (1, ConstValue::Int(7)),
            (2, s("seven")),
            (3, ConstValue::List(vec![s("x")])),
        ])
    );
    assert_eq!(
        konst(&pool, "NIL"),
        &s("00000000-0000-0000-0000-000000000000")
    );
    assert_eq!(
        konst(&pool, "common.DEFAULT_TAGS"),
        &ConstValue::List(vec![s("a"), s("b")])
    );

    let picked = pool.find_const("PICKED").unwrap();
    assert_eq!(picked.ty().display(), "common.Status");
    assert!(matches!(picked.ty().kind(), TypeKind::Enum(_)));
    assert_eq!(
        pool.find_const("SAMPLE").unwrap().ty().display(),
        "item.Item"
    );
    assert!(
        pool.find_const("Page").is_none(),
        "a struct is not a constant"
    );
}

#[test]
fn field_defaults() {
    let pool = corpus();
    assert_eq!(
        field(&pool, "item.Item", "title").default_value(),
        Some(&s("untitled"))
    );
    // `PAGE` is `common.MAX_PAGE`, defined in another file.
    assert_eq!(
        field(&pool, "Page", "limit").default_value(),
        Some(&ConstValue::Int(100))
    );
    assert_eq!(field(&pool, "Page", "offset").default_value(), None);
    assert_eq!(
        field(&pool, "item.Item", "tags").default_value(),
        Some(&ConstValue::List(vec![s("a"), s("b")]))
    );
    assert_eq!(
        field(&pool, "item.Item", "status").default_value(),
        Some(&ConstValue::Int(1))
    );
    assert_eq!(
        field(&pool, "Everything", "page").default_value(),
        Some(&ConstValue::Struct(vec![
            (1, ConstValue::Int(0)),
            (2, ConstValue::Int(10))
        ]))
    );
    assert_eq!(
        field(&pool, "Everything", "status").default_value(),
        Some(&ConstValue::Int(16))
    );
    assert_eq!(
        field(&pool, "common.BaseResp", "StatusCode").default_value(),
        Some(&ConstValue::Int(0))
    );
}

#[test]
fn typedef_chains() {
    let pool = corpus();
    let Some(NamedType::Typedef(parent)) = pool.find_type("item.ParentId") else {
        panic!("item.ParentId is a typedef");
    };
    assert_eq!(parent.full_name(), "item.ParentId");
    let item_id = parent.target();
    assert_eq!(item_id.display(), "item.ItemId");
    assert_eq!(item_id.typedef().unwrap().target().display(), "i64");
    assert!(matches!(item_id.kind(), TypeKind::I64));

    // A field keeps the typedef name for display and looks through it for its kind.
    let f = field(&pool, "item.Item", "parent").ty();
    assert_eq!(f.display(), "item.ParentId");
    assert!(matches!(f.kind(), TypeKind::I64));

    let catalog = field(&pool, "Everything", "catalog").ty();
    assert_eq!(catalog.display(), "Catalog");
    assert_eq!(catalog.typedef().unwrap().full_name(), "Catalog");
    assert_eq!(
        catalog.typedef().unwrap().target().display(),
        "list<map<string,item.Item>>"
    );
    let TypeKind::List(elem) = catalog.kind() else {
        panic!("Catalog is a list");
    };
    let TypeKind::Map(k, v) = elem.kind() else {
        panic!("Catalog holds maps");
    };
    assert!(matches!(k.kind(), TypeKind::String));
    assert_eq!(v.as_struct().unwrap().full_name(), "item.Item");

    let Some(NamedType::Typedef(blob)) = pool.find_type("item.Blob") else {
        panic!("item.Blob is a typedef");
    };
    assert!(matches!(blob.target().kind(), TypeKind::Binary));
    // `find_struct` looks through typedefs, and rejects non-struct ones.
    assert!(pool.find_struct("item.Blob").is_none());
}

#[test]
fn type_display() {
    let pool = corpus();
    let cases = [
        ("flag", "bool"),
        ("b", "byte"),
        ("c", "byte"),
        ("j", "uuid"),
        ("nested", "list<list<i32>>"),
        ("names", "set<string>"),
        ("by_id", "map<i64,set<common.Status>>"),
        ("keyed_by_struct", "map<item.Item,string>"),
        ("catalog", "Catalog"),
        ("lookup", "item.Lookup"),
        ("page", "Page"),
        ("status", "common.Status"),
        ("annotated_type", "string"),
    ];
    for (name, display) in cases {
        assert_eq!(
            field(&pool, "Everything", name).ty().display(),
            display,
            "{name}"
        );
    }
    let admin = pool.service("AdminService").unwrap();
    let inspect = admin.method("Inspect").unwrap();
    assert_eq!(
        inspect.returns().unwrap().to_string(),
        "map<string,Everything>"
    );
    assert_eq!(
        inspect.args().field_by_id(1).unwrap().ty().display(),
        "set<i64>"
    );
    assert_eq!(
        admin.method("Dump").unwrap().returns().unwrap().display(),
        "Catalog"
    );
    // From item.thrift's own scope, `ItemId` is still shown as seen from main.
    assert_eq!(
        field(&pool, "item.Lookup", "by_id").ty().display(),
        "item.ItemId"
    );
}

#[test]
fn struct_kinds_and_field_ids() {
    let pool = corpus();
    assert_eq!(strukt(&pool, "Page").kind(), StructKind::Struct);
    assert_eq!(strukt(&pool, "NotFound").kind(), StructKind::Exception);
    assert_eq!(strukt(&pool, "item.Lookup").kind(), StructKind::Union);
    assert_eq!(
        strukt(&pool, "common.CommonError").kind(),
        StructKind::Exception
    );

    let page = strukt(&pool, "Page");
    let req: Vec<Requiredness> = page.fields().map(|f| f.requiredness()).collect();
    assert_eq!(
        req,
        [
            Requiredness::Required,
            Requiredness::Optional,
            Requiredness::Default
        ]
    );
    let required: Vec<&str> = page.required_fields().map(|f| f.name()).collect();
    assert_eq!(required, ["offset"]);

    let every = strukt(&pool, "Everything");
    assert_eq!(every.len(), 22);
    let ids: Vec<i16> = every.fields().map(|f| f.id()).collect();
    assert_eq!(&ids[..20], (1..=20).collect::<Vec<i16>>());
    assert_eq!(every.field_by_id(-1).unwrap().name(), "negative_id");
    // A field without an id gets the next negative id Apache Thrift would
    // assign: -1 is taken, so -2.
    assert_eq!(field(&pool, "Everything", "no_id").id(), -2);
    assert_eq!(every.field_by_id(-2).unwrap().name(), "no_id");
    assert!(every.field_by_id(0).is_none());
    assert!(every.field_by_id(21).is_none());
    for (i, f) in every.fields().enumerate() {
        assert_eq!(f.index(), i);
        assert_eq!(every.field(i).unwrap().id(), f.id());
        assert_eq!(every.field_by_id(f.id()).unwrap().name(), f.name());
        assert_eq!(every.field_by_name(f.name()).unwrap().id(), f.id());
    }
}

#[test]
fn go_tag_alias_lookups() {
    let pool = corpus();
    let every = strukt(&pool, "Everything");
    let aliased = every
        .field_by_name("alias_name")
        .expect("found by its go.tag name");
    assert_eq!(aliased.name(), "aliased");
    assert_eq!(aliased.id(), 20);
    assert_eq!(aliased.json_name(), "alias_name");
    assert_eq!(aliased.go_tag_alias(), Some("alias_name"));
    assert_eq!(every.field_by_name("aliased").unwrap().id(), 20);
    assert_eq!(field(&pool, "item.Item", "id").json_name(), "id");
    assert_eq!(field(&pool, "Page", "limit").json_name(), "limit");
    assert_eq!(field(&pool, "Page", "limit").go_tag_alias(), None);

    let pool = load(PoolOptions {
        go_tag_alias: false,
    });
    assert!(!pool.options().go_tag_alias);
    let every = strukt(&pool, "Everything");
    assert!(every.field_by_name("alias_name").is_none());
    let aliased = every.field_by_name("aliased").unwrap();
    assert_eq!(aliased.json_name(), "aliased");
    assert_eq!(aliased.go_tag_alias(), Some("alias_name"), "still recorded");
}

#[test]
fn services_extends_and_overrides() {
    let pool = corpus();
    assert_eq!(pool.default_service().unwrap().name(), "AdminService");
    let names: Vec<&str> = pool.services().map(|s| s.name()).collect();
    assert_eq!(names, ["LifeService", "AdminService", "BaseService"]);

    let life = pool.service("LifeService").unwrap();
    let base = life.extends().unwrap();
    assert_eq!(base.full_name(), "common.BaseService");
    assert!(base.extends().is_none());
    let methods: Vec<&str> = life.methods().map(|m| m.name()).collect();
    assert_eq!(
        methods,
        [
            "Ping",
            "Version",
            "ListItems",
            "GetItem",
            "Touch",
            "Clear",
            "Dump"
        ]
    );
    let own: Vec<&str> = life.own_methods().map(|m| m.name()).collect();
    assert_eq!(own, ["ListItems", "GetItem", "Touch", "Clear", "Dump"]);
    let ping = life.method("Ping").expect("inherited Ping is callable");
    assert_eq!(ping.service().full_name(), "common.BaseService");
    assert!(ping.returns().is_none());
    assert_eq!(ping.args().len(), 0);
    assert_eq!(ping.result().len(), 0, "void: no success slot");
    let version = life.method("Version").unwrap();
    assert_eq!(version.returns().unwrap().display(), "string");
    assert_eq!(version.result().field_by_id(0).unwrap().name(), "success");

    let touch = life.method("Touch").unwrap();
    assert!(touch.is_oneway());
    assert!(touch.returns().is_none());
    assert!(!life.method("GetItem").unwrap().is_oneway());

    let admin = pool.service("AdminService").unwrap();
    assert_eq!(admin.extends().unwrap().name(), "LifeService");
    let methods: Vec<&str> = admin.methods().map(|m| m.name()).collect();
    assert_eq!(
        methods,
        [
            "Ping",
            "Version",
            "ListItems",
            "GetItem",
            "Touch",
            "Clear",
            "Dump",
            "Purge",
            "Inspect"
        ],
        "inherited methods first, then the service's own"
    );
    let purge = admin.method("Purge").unwrap();
    assert_eq!(purge.service().name(), "AdminService");
    let params: Vec<(i16, &str, String)> = purge
        .params()
        .map(|f| (f.id(), f.name(), f.ty().display()))
        .collect();
    assert_eq!(
        params,
        [
            (1, "hard", "bool".to_owned()),
            (2, "reason", "string".to_owned())
        ]
    );
    assert_eq!(
        admin.method("Clear").unwrap().service().name(),
        "LifeService"
    );
    assert_eq!(
        admin.method("Ping").unwrap().service().name(),
        "BaseService"
    );
    assert!(pool.service("common.BaseService").is_some());
    assert!(pool.service("Page").is_none());
}

#[test]
fn args_and_result_structs_cover_every_param_and_exception() {
    let pool = corpus();
    let m = pool
        .service("AdminService")
        .unwrap()
        .method("ListItems")
        .unwrap();

    let args = m.args();
    assert_eq!(args.name(), "ListItems_args");
    assert_eq!(args.kind(), StructKind::Args);
    let a: Vec<(i16, &str, String)> = args
        .fields()
        .map(|f| (f.id(), f.name(), f.ty().display()))
        .collect();
    assert_eq!(
        a,
        [
            (1, "page", "Page".to_owned()),
            (2, "query", "string".to_owned())
        ]
    );
    assert_eq!(args.field_by_name("query").unwrap().id(), 2);
    assert_eq!(
        args.field_by_name("query").unwrap().default_value(),
        Some(&s(""))
    );
    assert_eq!(args.field_by_name("page").unwrap().default_value(), None);

    let result = m.result();
    assert_eq!(result.name(), "ListItems_result");
    assert_eq!(result.kind(), StructKind::Result);
    let r: Vec<(i16, &str, String)> = result
        .fields()
        .map(|f| (f.id(), f.name(), f.ty().display()))
        .collect();
    assert_eq!(
        r,
        [
            (0, "success", "Page".to_owned()),
            (1, "nf", "NotFound".to_owned()),
            (2, "ce", "common.CommonError".to_owned()),
        ]
    );
    assert!(result.fields().all(|f| f.is_optional()));
    assert_eq!(result.field_by_id(2).unwrap().name(), "ce");
    let exceptions: Vec<&str> = m.exceptions().map(|f| f.name()).collect();
    assert_eq!(exceptions, ["nf", "ce"]);
    let ce = result.field_by_id(2).unwrap().ty().as_struct().unwrap();
    assert_eq!(ce.kind(), StructKind::Exception);
    assert_eq!(ce.field_by_id(2).unwrap().name(), "message");

    let get = pool
        .service("LifeService")
        .unwrap()
        .method("GetItem")
        .unwrap();
    assert_eq!(
        get.args().field_by_id(1).unwrap().ty().display(),
        "item.ItemId"
    );
    assert_eq!(get.result().len(), 2);
}

#[test]
fn annotations_on_every_node_kind() {
    let pool = corpus();
    let life = pool.service("LifeService").unwrap();
    assert_eq!(
        pairs(life.annotations()),
        [
            ("api.base_domain", Some("life.example.com")),
            ("api.service_path", Some("/life")),
        ]
    );
    let list = life.method("ListItems").unwrap();
    assert_eq!(
        pairs(list.annotations()),
        [
            ("api.get", Some("/life/items/:query")),
            ("api.serializer", Some("json")),
            ("flag", None),
        ]
    );
    assert_eq!(list.annotations().get("flag"), Some(""));
    assert_eq!(list.annotations().get("api.post"), None);
    assert_eq!(
        life.method("Version").unwrap().annotations().get("api.get"),
        Some("/version")
    );

    let what = field(&pool, "NotFound", "what");
    assert_eq!(pairs(what.annotations()), [("api.body", Some("what"))]);
    assert!(what.ty().annotations().is_empty());
    assert_eq!(
        pairs(strukt(&pool, "NotFound").annotations()),
        [("code", Some("404"))]
    );

    // Type annotations sit on the type, not on the field.
    let annotated = field(&pool, "Everything", "annotated_type");
    assert_eq!(
        pairs(annotated.ty().annotations()),
        [("agw.key", Some("v"))]
    );
    assert!(annotated.annotations().is_empty());
    let aliased = field(&pool, "Everything", "aliased");
    assert_eq!(
        aliased.annotations().get("go.tag"),
        Some("json:\"alias_name,omitempty\"")
    );
    let id = field(&pool, "item.Item", "id");
    assert_eq!(
        pairs(id.annotations()),
        [("api.path", Some("id")), ("go.tag", Some("json:\"id\""))]
    );
    let Some(NamedType::Typedef(blob)) = pool.find_type("item.Blob") else {
        panic!("item.Blob is a typedef");
    };
    assert_eq!(
        blob.target().annotations().get("python.type"),
        Some("bytes")
    );

    let Some(NamedType::Enum(status)) = pool.find_type("common.Status") else {
        panic!("common.Status is an enum");
    };
    assert_eq!(pairs(status.annotations()), [("go.enum", Some("true"))]);
    assert_eq!(
        pairs(status.value_annotations("DISABLED").unwrap()),
        [("deprecated", Some("use DELETED"))]
    );
    assert!(status.value_annotations("ACTIVE").unwrap().is_empty());
    assert!(status.value_annotations("NOPE").is_none());
}

#[test]
fn spans_point_at_names() {
    let pool = corpus();
    let main = pool.main_file();
    let every = strukt(&pool, "Everything");
    assert_eq!(main.line_col(every.span()), (38, 8));
    assert_eq!(
        main.line_col(field(&pool, "Everything", "no_id").span()),
        (60, 12)
    );
    let life = pool.service("LifeService").unwrap();
    assert_eq!(main.line_col(life.span()), (67, 9));
    assert_eq!(
        main.line_col(life.method("GetItem").unwrap().span()),
        (70, 15)
    );
    let item = pool.files().nth(2).unwrap();
    assert_eq!(item.line_col(strukt(&pool, "item.Item").span()), (11, 8));
}

// ---- golden dump -----------------------------------------------------------

fn write_value(out: &mut String, v: &ConstValue) {
    match v {
        ConstValue::Bool(b) => write!(out, "{b}").unwrap(),
        ConstValue::Int(n) => write!(out, "{n}").unwrap(),
        ConstValue::Double(d) => write!(out, "{d:?}").unwrap(),
        ConstValue::String(s) => write!(out, "{s:?}").unwrap(),
        ConstValue::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, x);
            }
            out.push(']');
        }
        ConstValue::Map(entries) => {
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, k);
                out.push_str(": ");
                write_value(out, x);
            }
            out.push('}');
        }
        ConstValue::Struct(fields) => {
            out.push('{');
            for (i, (id, x)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write!(out, "{id}: ").unwrap();
                write_value(out, x);
            }
            out.push('}');
        }
    }
}

fn write_annotations(out: &mut String, a: &Annotations) {
    if a.is_empty() {
        return;
    }
    out.push_str(" (");
    for (i, (k, v)) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match v {
            Some(v) => write!(out, "{k} = {v:?}").unwrap(),
            None => out.push_str(k),
        }
    }
    out.push(')');
}

fn write_field(out: &mut String, indent: &str, f: FieldDescriptor<'_>) {
    let req = match f.requiredness() {
        Requiredness::Required => "required ",
        Requiredness::Optional => "optional ",
        Requiredness::Default => "",
    };
    write!(out, "{indent}{}: {req}{}", f.id(), f.ty().display()).unwrap();
    write_annotations(out, f.ty().annotations());
    write!(out, " {}", f.name()).unwrap();
    if let Some(v) = f.default_value() {
        out.push_str(" = ");
        write_value(out, v);
    }
    write_annotations(out, f.annotations());
    if f.json_name() != f.name() {
        write!(out, "  [json: {}]", f.json_name()).unwrap();
    }
    out.push('\n');
}

/// Everything the pool knows, file by file, in a stable text form.
fn dump(pool: &Pool) -> String {
    let mut out = String::new();
    for file in pool.files() {
        writeln!(
            out,
            "file {} (module {})",
            golden::relative_paths(file.path()),
            file.module()
        )
        .unwrap();
        for (scope, ns) in file.namespaces() {
            writeln!(out, "  namespace {scope} {ns}").unwrap();
        }
        for inc in file.includes() {
            writeln!(out, "  include {}", inc.module()).unwrap();
        }
        for c in file.consts() {
            write!(out, "  const {} {} = ", c.ty().display(), c.name()).unwrap();
            write_value(&mut out, c.value());
            out.push('\n');
        }
        for t in file.types() {
            match t {
                NamedType::Typedef(td) => {
                    write!(out, "  typedef {}", td.target().display()).unwrap();
                    write_annotations(&mut out, td.target().annotations());
                    writeln!(out, " {}", td.name()).unwrap();
                }
                NamedType::Enum(e) => {
                    write!(out, "  enum {}", e.name()).unwrap();
                    write_annotations(&mut out, e.annotations());
                    out.push('\n');
                    for (name, value) in e.values() {
                        write!(out, "    {name} = {value}").unwrap();
                        write_annotations(&mut out, e.value_annotations(name).unwrap());
                        out.push('\n');
                    }
                }
                NamedType::Struct(s) => {
                    let kind = match s.kind() {
                        StructKind::Union => "union",
                        StructKind::Exception => "exception",
                        _ => "struct",
                    };
                    write!(out, "  {kind} {}", s.name()).unwrap();
                    write_annotations(&mut out, s.annotations());
                    out.push('\n');
                    for f in s.fields() {
                        write_field(&mut out, "    ", f);
                    }
                }
            }
        }
        for svc in file.services() {
            write!(out, "  service {}", svc.name()).unwrap();
            if let Some(base) = svc.extends() {
                write!(out, " extends {}", base.full_name()).unwrap();
            }
            write_annotations(&mut out, svc.annotations());
            out.push('\n');
            for m in svc.methods() {
                let returns = m.returns().map_or("void".to_owned(), |t| t.display());
                let oneway = if m.is_oneway() { "oneway " } else { "" };
                write!(out, "    {oneway}{returns} {}", m.name()).unwrap();
                if m.service().id() != svc.id() {
                    write!(out, "  [from {}]", m.service().full_name()).unwrap();
                }
                write_annotations(&mut out, m.annotations());
                out.push('\n');
                for f in m.args().fields() {
                    write_field(&mut out, "      arg ", f);
                }
                for f in m.result().fields() {
                    write_field(&mut out, "      result ", f);
                }
            }
        }
    }
    out
}

#[test]
fn corpus_dump_matches_golden() {
    golden::check("idl/golden/corpus/main.txt", &dump(&corpus()));
}
