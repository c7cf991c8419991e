//! notes: an Osaurus native plugin that keeps short notes in its own SQLite database.
//!
//!   add_note   {"text": "..."}  saves a note; keeps the newest `max_notes` (a setting)
//!   list_notes {}               lists the notes, oldest first
//!
//! No dependencies: the two tables mirror osaurus_plugin.h by hand, and compile-time
//! checks pin their layout to the header's. The manifest is osaurus-plugin.json.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicPtr, Ordering};

// #region tables
/// A C string: NUL-terminated UTF-8.
type Text = *const c_char;
type OnChunk = unsafe extern "C" fn(chunk_json: Text, user_data: *mut c_void);

/// `osr_host_api`, in the header's order: skip a slot and every later one shifts.
#[repr(C)]
pub struct OsrHostApi {
    pub version: u32,
    pub config_get: Option<unsafe extern "C" fn(key: Text) -> Text>,
    pub config_set: Option<unsafe extern "C" fn(key: Text, value: Text)>,
    pub config_delete: Option<unsafe extern "C" fn(key: Text)>,
    pub db_exec: Option<unsafe extern "C" fn(sql: Text, params_json: Text) -> Text>,
    pub db_query: Option<unsafe extern "C" fn(sql: Text, params_json: Text) -> Text>,
    pub log: Option<unsafe extern "C" fn(level: c_int, message: Text)>,
    pub dispatch: Option<unsafe extern "C" fn(request_json: Text) -> Text>,
    pub task_status: Option<unsafe extern "C" fn(task_id: Text) -> Text>,
    pub dispatch_cancel: Option<unsafe extern "C" fn(task_id: Text)>,
    pub dispatch_clarify: Option<unsafe extern "C" fn(task_id: Text, response: Text)>,
    pub complete: Option<unsafe extern "C" fn(request_json: Text) -> Text>,
    pub complete_stream: Option<
        unsafe extern "C" fn(
            request_json: Text,
            on_chunk: Option<OnChunk>,
            user_data: *mut c_void,
        ) -> Text,
    >,
    pub embed: Option<unsafe extern "C" fn(request_json: Text) -> Text>,
    pub list_models: Option<unsafe extern "C" fn() -> Text>,
    pub http_request: Option<unsafe extern "C" fn(request_json: Text) -> Text>,
    pub file_read: Option<unsafe extern "C" fn(request_json: Text) -> Text>,
    pub list_active_tasks: Option<unsafe extern "C" fn() -> Text>,
    pub send_draft: Option<unsafe extern "C" fn(task_id: Text, draft_json: Text)>,
    pub dispatch_interrupt: Option<unsafe extern "C" fn(task_id: Text, message: Text)>,
    pub dispatch_add_issue:
        Option<unsafe extern "C" fn(task_id: Text, issue_json: Text) -> Text>,
    pub complete_cancel: Option<unsafe extern "C" fn(stream_id: Text)>, // v3
    pub get_active_agent_id: Option<unsafe extern "C" fn() -> Text>,    // v4
    pub log_structured:
        Option<unsafe extern "C" fn(level: c_int, message: Text, payload: Text)>, // v5
    pub free_string: Option<unsafe extern "C" fn(s: Text)>,             // v6
}

/// `osr_plugin_api`: what this plugin hands the host.
#[repr(C)]
pub struct OsrPluginApi {
    pub free_string: Option<unsafe extern "C" fn(s: Text)>,
    pub init: Option<unsafe extern "C" fn() -> *mut c_void>,
    pub destroy: Option<unsafe extern "C" fn(ctx: *mut c_void)>,
    pub get_manifest: Option<unsafe extern "C" fn(ctx: *mut c_void) -> Text>,
    pub invoke: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            kind: Text,
            id: Text,
            payload: Text,
        ) -> Text,
    >,
    pub version: u32,
    pub handle_route:
        Option<unsafe extern "C" fn(ctx: *mut c_void, request_json: Text) -> Text>,
    pub on_config_changed:
        Option<unsafe extern "C" fn(ctx: *mut c_void, key: Text, value: Text)>,
    pub on_task_event: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            task_id: Text,
            event_type: c_int,
            event_json: Text,
        ),
    >,
}

// The header's sizes and offsets (64-bit): a wrong mirror fails to build, not to run.
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<OsrHostApi>() == 200);
    assert!(offset_of!(OsrHostApi, config_get) == 8);
    assert!(offset_of!(OsrHostApi, get_active_agent_id) == 176);
    assert!(offset_of!(OsrHostApi, log_structured) == 184);
    assert!(offset_of!(OsrHostApi, free_string) == 192);
    assert!(size_of::<OsrPluginApi>() == 72);
    assert!(offset_of!(OsrPluginApi, version) == 40);
    assert!(offset_of!(OsrPluginApi, on_task_event) == 64);
};
// #endregion tables

// #region host
/// The host's table: valid from the entry call until the plugin is unloaded.
static HOST: AtomicPtr<OsrHostApi> = AtomicPtr::new(std::ptr::null_mut());

fn host() -> &'static OsrHostApi {
    unsafe { &*HOST.load(Ordering::Acquire) }
}

const LOG_INFO: c_int = 2;

extern "C" {
    fn free(pointer: *mut c_void);
}

/// A string a host call returned. It is ours: dropping it releases it with the host's
/// free_string (ABI 6), or libc's free() on older hosts; never with Rust's allocator.
struct HostString(Text);

impl HostString {
    fn text(&self) -> Option<&str> {
        if self.0.is_null() {
            None
        } else {
            unsafe { CStr::from_ptr(self.0) }.to_str().ok()
        }
    }
}

impl Drop for HostString {
    fn drop(&mut self) {
        let host = host();
        match host.free_string {
            Some(free_string) if host.version >= 6 => unsafe { free_string(self.0) },
            _ => unsafe { free(self.0 as *mut c_void) },
        }
    }
}

/// What the plugin passes to the host: the host copies it during the call.
fn c_text(text: &str) -> CString {
    CString::new(text).expect("JSON and SQL text has no NUL byte")
}

/// `params_json` "" binds nothing.
fn db_exec(sql: &str, params_json: &str) -> HostString {
    let (sql, params_json) = (c_text(sql), c_text(params_json));
    HostString(unsafe {
        host().db_exec.expect("db_exec (ABI 2)")(sql.as_ptr(), params_json.as_ptr())
    })
}

fn db_query(sql: &str) -> HostString {
    let sql = c_text(sql);
    HostString(unsafe {
        host().db_query.expect("db_query (ABI 2)")(sql.as_ptr(), std::ptr::null())
    })
}

fn config_get(key: &str) -> HostString {
    let key = c_text(key);
    HostString(unsafe { host().config_get.expect("config_get (ABI 2)")(key.as_ptr()) })
}

fn log(level: c_int, message: &str) {
    let message = c_text(message);
    unsafe { host().log.expect("log (ABI 2)")(level, message.as_ptr()) }
}
// #endregion host

// #region strings
/// Every string the plugin returns is a CString given up with into_raw. The host copies
/// it, then hands the pointer back to free_string, which takes it back with from_raw.
fn give(text: String) -> Text {
    CString::new(text).map_or(std::ptr::null(), |s| s.into_raw())
}

unsafe extern "C" fn free_string(s: Text) {
    if !s.is_null() {
        drop(CString::from_raw(s as *mut c_char));
    }
}

/// What the host passes in is its own and valid during the call only: borrow, never keep.
unsafe fn borrowed<'a>(text: Text) -> &'a str {
    if text.is_null() {
        ""
    } else {
        CStr::from_ptr(text).to_str().unwrap_or("")
    }
}
// #endregion strings

// #region answers
/// The raw JSON text of "key":<value> in one of the host's small, flat answers. A string
/// value keeps its quotes and escapes, so it can go into other JSON as it is.
/// A real plugin would use serde_json.
fn json_member<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("\"{key}\":");
    let rest = &json[json.find(&pattern)? + pattern.len()..];
    let end = if rest.starts_with('"') {
        let mut escaped = false;
        let closing = rest.char_indices().skip(1).find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        });
        closing.map_or(rest.len(), |(index, _)| index + 1)
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(&rest[..end])
}

/// A failed host call answers {"error":"<code>","message":"..."} ("error" sorts first).
fn failed(answer: &HostString) -> bool {
    answer
        .text()
        .map_or(true, |text| text.starts_with("{\"error\":"))
}
// #endregion answers

// #region envelopes
/// A tool answers {"ok":true,"result":...} or {"ok":false,"kind":...,"message":...}.
fn success(result_json: &str) -> String {
    format!("{{\"ok\":true,\"result\":{result_json}}}")
}

/// `message_json` is a JSON string, quotes included.
fn failure(kind: &str, message_json: &str) -> String {
    format!("{{\"ok\":false,\"kind\":\"{kind}\",\"message\":{message_json}}}")
}

/// A failed host call becomes an execution_error that carries the host's own message.
fn host_failure(answer: &HostString) -> String {
    let message = answer.text().and_then(|text| json_member(text, "message"));
    failure("execution_error", message.unwrap_or("\"no answer\""))
}
// #endregion envelopes

// #region add_note
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS notes \
    (id INTEGER PRIMARY KEY, text TEXT NOT NULL CHECK (text <> ''))";

/// The arguments go to SQLite as they are: json_extract reads them, Rust parses nothing.
fn add_note(arguments: &str) -> String {
    let created = db_exec(CREATE_TABLE, "");
    if failed(&created) {
        return host_failure(&created);
    }

    // Bound by name, an object goes in as its JSON text.
    let params = format!("{{\"arguments\":{arguments}}}");
    let inserted = db_exec(
        "INSERT INTO notes (text) SELECT json_extract(:arguments, '$.text') \
         WHERE json_extract(:arguments, '$.text') <> ''",
        &params,
    );
    if failed(&inserted) {
        return host_failure(&inserted);
    }
    let answer = inserted.text().unwrap_or_default();
    let id = json_member(answer, "last_insert_rowid").unwrap_or("null");
    if json_member(answer, "changes") == Some("0") {
        return failure("invalid_args", "\"add_note needs a non-empty text\"");
    }

    // The operator's setting (osr-host config set ... max_notes 10); NULL when unset.
    let max_notes = config_get("max_notes");
    let keep: i64 = max_notes
        .text()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    if keep > 0 {
        db_exec(
            "DELETE FROM notes WHERE id NOT IN \
             (SELECT id FROM notes ORDER BY id DESC LIMIT :keep)",
            &format!("{{\"keep\":{keep}}}"),
        );
    }

    log(LOG_INFO, &format!("saved note {id}"));
    success(&format!("{{\"id\":{id}}}"))
}
// #endregion add_note

// #region list_notes
fn list_notes() -> String {
    db_exec(CREATE_TABLE, "");
    // {"columns":["id","text"],"rows":[[1,"..."],...]} is JSON: it becomes the result.
    let rows = db_query("SELECT id, text FROM notes ORDER BY id");
    if failed(&rows) {
        host_failure(&rows)
    } else {
        success(rows.text().unwrap_or_default())
    }
}
// #endregion list_notes

// #region manifest
/// osaurus-plugin.json, compiled in: the library returns the very file you validate.
const MANIFEST: &str = include_str!("../osaurus-plugin.json");

unsafe extern "C" fn get_manifest(_ctx: *mut c_void) -> Text {
    // A copy: the host frees what it gets with free_string.
    give(MANIFEST.to_string())
}
// #endregion manifest

// #region lifecycle
/// No state of its own: notes live in the host's database and settings in its config.
static CONTEXT: u8 = 0;

unsafe extern "C" fn init() -> *mut c_void {
    &CONTEXT as *const u8 as *mut c_void // NULL would mean "init failed"
}

unsafe extern "C" fn destroy(_ctx: *mut c_void) {}

/// Tools may run concurrently, on the host's threads: they share no mutable state here.
unsafe extern "C" fn invoke(
    _ctx: *mut c_void,
    kind: Text,
    id: Text,
    payload: Text,
) -> Text {
    give(match (borrowed(kind), borrowed(id)) {
        ("tool", "add_note") => add_note(borrowed(payload)),
        ("tool", "list_notes") => list_notes(),
        ("tool", _) => failure("tool_not_found", "\"no such tool\""),
        _ => failure("invalid_args", "\"tools only\""),
    })
}
// #endregion lifecycle

// #region entry
static PLUGIN_API: OsrPluginApi = OsrPluginApi {
    free_string: Some(free_string),
    init: Some(init),
    destroy: Some(destroy),
    get_manifest: Some(get_manifest),
    invoke: Some(invoke),
    version: 6,
    handle_route: None,
    on_config_changed: None,
    on_task_event: None,
};

/// The one exported symbol. The host calls it once, before init.
///
/// # Safety
/// `host` is the host's table, valid for as long as the plugin is loaded.
#[no_mangle]
pub unsafe extern "C" fn osaurus_plugin_entry_v2(
    host: *const OsrHostApi,
) -> *const OsrPluginApi {
    HOST.store(host as *mut OsrHostApi, Ordering::Release);
    &PLUGIN_API
}
// #endregion entry
