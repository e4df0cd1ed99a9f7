//! A serializable summary of a [`Pool`]: what `anycall describe` prints.
//!
//! Type strings are Thrift spellings as seen from the main file
//! (`list<map<string,item.Item>>`); definitions from included files are
//! qualified by their module name.

use serde::Serialize;
use serde_json::Value as Json;

use crate::idl::{
    Annotations, ConstValue, EnumDescriptor, FieldDescriptor, MethodDescriptor, NamedType, Pool,
    Requiredness, ServiceDescriptor, StructDescriptor, StructKind, TypeDescriptor, TypeKind,
    TypedefDescriptor,
};

/// Everything `describe` shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Description {
    /// Services, the main file's first.
    pub services: Vec<ServiceInfo>,
    /// Structs, unions, exceptions, enums and typedefs, the main file's first.
    pub types: Vec<TypeInfo>,
    /// Constants.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consts: Vec<ConstInfo>,
}

/// A service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    /// Name, qualified when defined in an included file.
    pub name: String,
    /// The extended service, if any.
    pub extends: Option<String>,
    /// Every callable method, inherited ones first.
    pub methods: Vec<MethodInfo>,
    /// IDL annotations (`(api.service_path = "/x")`), omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// A method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodInfo {
    /// Method name.
    pub name: String,
    /// Declared oneway.
    pub oneway: bool,
    /// The streaming kind from `streaming.mode` (`unary`, `client`,
    /// `server`, `bidirectional`), omitted when not annotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<&'static str>,
    /// Parameters.
    pub params: Vec<ParamInfo>,
    /// Return type, `void` for none.
    pub returns: String,
    /// Declared exceptions.
    pub throws: Vec<ParamInfo>,
    /// The ancestor service that declares it, for inherited methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// IDL annotations, omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// A parameter or declared exception.
#[derive(Debug, Clone, Serialize)]
pub struct ParamInfo {
    /// Field id.
    pub id: i16,
    /// Name.
    pub name: String,
    /// The key in JSON arguments when it differs from `name` (a `go.tag`
    /// json name, with go.tag aliases on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_name: Option<String>,
    /// Type string.
    #[serde(rename = "type")]
    pub ty: String,
    /// `required`, `optional` or `default` (parameters only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requiredness: Option<&'static str>,
    /// The default value as JSON, as the codec reads it (parameters only;
    /// omitted when none).
    #[serde(skip_serializing_if = "Json::is_null")]
    pub default: Json,
    /// IDL annotations, omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// A named type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeInfo {
    /// Name, qualified when defined in an included file.
    pub name: String,
    /// `struct`, `union`, `exception`, `enum` or `typedef`.
    pub kind: &'static str,
    /// Fields of a struct, union or exception.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldInfo>>,
    /// Values of an enum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<EnumValueInfo>>,
    /// The aliased type of a typedef.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// IDL annotations, omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// A struct field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInfo {
    /// Field id.
    pub id: i16,
    /// IDL name.
    pub name: String,
    /// The key in JSON when it differs from `name` (a `go.tag` json name,
    /// with go.tag aliases on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_name: Option<String>,
    /// Type string.
    #[serde(rename = "type")]
    pub ty: String,
    /// `required`, `optional` or `default`.
    pub requiredness: &'static str,
    /// The default value as JSON, as the codec reads it (binary as base64,
    /// enums by name), or null.
    pub default: Json,
    /// IDL annotations, omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// An enum value.
#[derive(Debug, Clone, Serialize)]
pub struct EnumValueInfo {
    /// Name.
    pub name: String,
    /// Value.
    pub value: i32,
    /// IDL annotations, omitted when none.
    #[serde(skip_serializing_if = "Json::is_null")]
    pub annotations: Json,
}

/// A constant.
#[derive(Debug, Clone, Serialize)]
pub struct ConstInfo {
    /// Name, qualified when defined in an included file.
    pub name: String,
    /// Type string.
    #[serde(rename = "type")]
    pub ty: String,
    /// The value as JSON.
    pub value: Json,
}

/// What to describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Everything in every file.
    All,
    /// One service, a method of it (`Service/Method`), or a type, by name.
    Named(&'a str),
}

/// Why a target could not be described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// Describes a pool, or one service, method or type of it.
pub fn describe(pool: &Pool, target: Target<'_>) -> Result<Description, NotFound> {
    let mut d = Description::default();
    match target {
        Target::All => {
            d.services = pool.services().map(service_info).collect();
            d.types = pool
                .files()
                .flat_map(|f| f.types())
                .map(type_info)
                .collect();
            d.consts = pool
                .files()
                .flat_map(|f| f.consts())
                .map(|c| ConstInfo {
                    name: c.full_name(),
                    ty: c.ty().display(),
                    value: const_json(c.ty(), c.value()),
                })
                .collect();
        }
        Target::Named(name) => {
            if let Some((svc, method)) = name.split_once('/') {
                let s = pool
                    .service(svc)
                    .ok_or_else(|| NotFound(format!("no service named `{svc}`")))?;
                let m = s.method(method).ok_or_else(|| {
                    let hint = crate::idl::did_you_mean(method, s.methods().map(|m| m.name()))
                        .map_or_else(String::new, |h| format!(" (did you mean `{h}`?)"));
                    NotFound(format!("service `{svc}` has no method `{method}`{hint}"))
                })?;
                let mut info = service_info(s);
                info.methods = vec![method_info(s, m)];
                d.services.push(info);
            } else if let Some(s) = pool.service(name) {
                d.services.push(service_info(s));
            } else if let Some(t) = pool.find_type(name) {
                d.types.push(type_info(t));
            } else {
                let mut names: Vec<String> = pool.services().map(|s| s.full_name()).collect();
                for f in pool.files() {
                    names.extend(f.types().map(|t| match t {
                        NamedType::Struct(s) => s.full_name(),
                        NamedType::Enum(e) => e.full_name(),
                        NamedType::Typedef(t) => t.full_name(),
                    }));
                }
                let hint = crate::idl::did_you_mean(name, names.iter().map(String::as_str))
                    .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
                return Err(NotFound(format!(
                    "no service, method or type named `{name}`{hint}"
                )));
            }
        }
    }
    Ok(d)
}

fn service_info(s: ServiceDescriptor<'_>) -> ServiceInfo {
    ServiceInfo {
        name: s.full_name(),
        extends: s.extends().map(|e| e.full_name()),
        methods: s.methods().map(|m| method_info(s, m)).collect(),
        annotations: annotations_json(s.annotations()),
    }
}

/// Annotations as a JSON object (`{"go.tag": "json:\"x\""}`; a valueless
/// one is null; a repeated key keeps its last value), or null when none.
pub fn annotations_json(a: &Annotations) -> Json {
    if a.is_empty() {
        return Json::Null;
    }
    let mut m = serde_json::Map::new();
    for (k, v) in a.iter() {
        m.insert(
            k.to_owned(),
            v.map_or(Json::Null, |v| Json::String(v.to_owned())),
        );
    }
    Json::Object(m)
}

/// The JSON key of a field when it is not the IDL name.
fn json_name(f: FieldDescriptor<'_>) -> Option<String> {
    (f.json_name() != f.name()).then(|| f.json_name().to_owned())
}

fn default_json(f: FieldDescriptor<'_>) -> Json {
    f.default_value()
        .map_or(Json::Null, |v| const_json(f.ty(), v))
}

fn method_info(s: ServiceDescriptor<'_>, m: MethodDescriptor<'_>) -> MethodInfo {
    let param = |f: FieldDescriptor<'_>| ParamInfo {
        id: f.id(),
        name: f.name().to_owned(),
        json_name: json_name(f),
        ty: f.ty().display(),
        requiredness: Some(requiredness(f.requiredness())),
        default: default_json(f),
        annotations: annotations_json(f.annotations()),
    };
    let exception = |f: FieldDescriptor<'_>| ParamInfo {
        requiredness: None,
        default: Json::Null,
        ..param(f)
    };
    let owner = m.service();
    MethodInfo {
        name: m.name().to_owned(),
        oneway: m.is_oneway(),
        streaming: Some(m.streaming().as_str()).filter(|s| !s.is_empty()),
        params: m.params().map(param).collect(),
        returns: m
            .returns()
            .map_or_else(|| "void".to_owned(), |t| t.display()),
        throws: m.exceptions().map(exception).collect(),
        from: (owner.id() != s.id()).then(|| owner.full_name()),
        annotations: annotations_json(m.annotations()),
    }
}

fn type_info(t: NamedType<'_>) -> TypeInfo {
    match t {
        NamedType::Struct(s) => struct_info(s),
        NamedType::Enum(e) => enum_info(e),
        NamedType::Typedef(t) => typedef_info(t),
    }
}

fn struct_info(s: StructDescriptor<'_>) -> TypeInfo {
    TypeInfo {
        name: s.full_name(),
        kind: match s.kind() {
            StructKind::Union => "union",
            StructKind::Exception => "exception",
            StructKind::Struct | StructKind::Args | StructKind::Result => "struct",
        },
        fields: Some(
            s.fields()
                .map(|f| FieldInfo {
                    id: f.id(),
                    name: f.name().to_owned(),
                    json_name: json_name(f),
                    ty: f.ty().display(),
                    requiredness: requiredness(f.requiredness()),
                    default: default_json(f),
                    annotations: annotations_json(f.annotations()),
                })
                .collect(),
        ),
        values: None,
        ty: None,
        annotations: annotations_json(s.annotations()),
    }
}

fn enum_info(e: EnumDescriptor<'_>) -> TypeInfo {
    TypeInfo {
        name: e.full_name(),
        kind: "enum",
        fields: None,
        values: Some(
            e.values()
                .map(|(name, value)| EnumValueInfo {
                    name: name.to_owned(),
                    value,
                    annotations: e
                        .value_annotations(name)
                        .map_or(Json::Null, annotations_json),
                })
                .collect(),
        ),
        ty: None,
        annotations: annotations_json(e.annotations()),
    }
}

fn typedef_info(t: TypedefDescriptor<'_>) -> TypeInfo {
    TypeInfo {
        name: t.full_name(),
        kind: "typedef",
        fields: None,
        values: None,
        ty: Some(t.target().display()),
        annotations: annotations_json(t.annotations()),
    }
}

/// `required`, `optional` or `default`.
pub fn requiredness(r: Requiredness) -> &'static str {
    match r {
        Requiredness::Required => "required",
        Requiredness::Optional => "optional",
        Requiredness::Default => "default",
    }
}

/// A constant as JSON, as the codec reads it: binary as base64, enum values
/// by name, struct constants as objects keyed by field name, maps with
/// string-like keys as objects, other maps as arrays of `[key, value]` pairs.
pub fn const_json(ty: TypeDescriptor<'_>, v: &ConstValue) -> Json {
    match (ty.kind(), v) {
        (TypeKind::Binary, ConstValue::String(s)) => {
            use base64::Engine as _;
            Json::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        (TypeKind::Enum(e), ConstValue::Int(n)) => i32::try_from(*n)
            .ok()
            .and_then(|n| e.name_of(n))
            .map_or_else(|| Json::from(*n), |name| Json::String(name.to_owned())),
        (_, ConstValue::Bool(b)) => Json::Bool(*b),
        (_, ConstValue::Int(n)) => Json::from(*n),
        (_, ConstValue::Double(d)) => {
            serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number)
        }
        (_, ConstValue::String(s)) => Json::String(s.clone()),
        (TypeKind::List(e) | TypeKind::Set(e), ConstValue::List(items)) => {
            Json::Array(items.iter().map(|i| const_json(e, i)).collect())
        }
        (TypeKind::Map(k, val), ConstValue::Map(pairs)) => {
            let keyed = pairs
                .iter()
                .all(|(k, _)| matches!(k, ConstValue::String(_) | ConstValue::Int(_)));
            if keyed {
                let mut m = serde_json::Map::new();
                for (pk, pv) in pairs {
                    let key = match const_json(k, pk) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    m.insert(key, const_json(val, pv));
                }
                Json::Object(m)
            } else {
                Json::Array(
                    pairs
                        .iter()
                        .map(|(pk, pv)| Json::Array(vec![const_json(k, pk), const_json(val, pv)]))
                        .collect(),
                )
            }
        }
        (TypeKind::Struct(s), ConstValue::Struct(fields)) => {
            let mut m = serde_json::Map::new();
            for (id, fv) in fields {
                if let Some(f) = s.field_by_id(*id) {
                    m.insert(f.json_name().to_owned(), const_json(f.ty(), fv));
                }
            }
            Json::Object(m)
        }
        // Shapes the linker never produces for a checked constant.
        (_, ConstValue::List(_) | ConstValue::Map(_) | ConstValue::Struct(_)) => Json::Null,
    }
}
