//! The debugger's screen, driven through `App::update` without a terminal and drawn on
//! ratatui's TestBackend: snapshots of every pane and of the key flows (open, step,
//! breakpoint, continue, complete a pending token, reload, invalid save), plus every
//! real-world definition opened and browsed at two sizes.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use stepdbg::engine::{Config, Status, WorkflowType};
use stepdbg::json;
use stepdbg::json::Value;
use stepdbg::session::launch::LaunchOptions;
use stepdbg::session::{ManualResolver, Resolver, Session, SessionError, SessionOptions};
use stepdbg::tui::app::{Mode, ReloadStatus};
use stepdbg::tui::{Action, App, AppOptions, Keymap, Msg, Pane, Theme};

/// 2024-01-01T00:00:00Z: a fixed clock keeps snapshots stable.
const T0: i64 = 1_704_067_200_000;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn opts() -> AppOptions {
    AppOptions {
        theme: Theme::dark(),
        keymap: Keymap::default(),
        notice: None,
        replay: None,
    }
}

/// The sample as `stepdbg FILE` opens it (input and mocks beside it), on a fixed clock.
fn sample_app(name: &str) -> App {
    let path = samples().join(name);
    let launch = LaunchOptions {
        definition: path.clone(),
        record_steps: true,
        deterministic_tokens: true,
        ..LaunchOptions::default()
    }
    .prepare()
    .unwrap();
    let config = Config {
        start_time_ms: T0,
        ..launch.config
    };
    let s = Session::open(
        &path,
        SessionOptions {
            input: Some(launch.input),
            config,
        },
        Box::new(launch.dispatcher),
    )
    .unwrap();
    App::new(s, opts())
}

/// A session whose every task is left to a person.
fn manual_app(path: &Path, input: Value) -> App {
    manual_app_with(path, input, Box::new(ManualResolver))
}

fn manual_app_with(path: &Path, input: Value, resolver: Box<dyn Resolver>) -> App {
    let s = Session::open(
        path,
        SessionOptions {
            input: Some(input),
            config: Config::default(),
        },
        resolver,
    )
    .unwrap();
    App::new(s, opts())
}

fn callback_input() -> Value {
    serde_json::from_str(&std::fs::read_to_string(samples().join("callback.input.json")).unwrap())
        .unwrap()
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.view(f)).unwrap();
    t.backend().to_string()
}

fn snap(name: &str, app: &mut App, w: u16, h: u16) {
    let s = screen(app, w, h);
    insta::assert_snapshot!(name, s);
}

fn zoomed(app: &mut App, pane: Pane) -> String {
    app.focus_pane(pane);
    app.zoom = true;
    let s = screen(app, 80, 24);
    app.zoom = false;
    s
}

// ----- panes -------------------------------------------------------------------------

#[test]
fn opens_the_callback_sample() {
    let mut app = sample_app("callback.asl.json");
    assert_eq!(app.status_word(), "READY");
    snap("open_callback_120x40", &mut app, 120, 40);
    snap("open_callback_80x24", &mut app, 80, 24);
}

#[test]
fn every_pane_zoomed() {
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "WAITING");
    for p in Pane::ALL {
        let s = zoomed(&mut app, p);
        insta::assert_snapshot!(format!("pane_{}", p.title().to_lowercase()), s);
    }
}

#[test]
fn tabs_and_focus_in_the_compact_layout() {
    let mut app = sample_app("callback.asl.json");
    app.update(Msg::Resize(80, 24));
    for (key, pane) in [
        ("Tab", Pane::Definition),
        ("Tab", Pane::Inspector),
        ("Tab", Pane::History),
        ("Tab", Pane::Pending),
        ("Tab", Pane::Variables),
        ("Tab", Pane::States),
        ("Shift-Tab", Pane::Variables),
        ("4", Pane::History),
    ] {
        app.press(key);
        assert_eq!(app.focus, pane, "after {key}");
    }
    assert_eq!(app.tab, Pane::History);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("4 History"), "{s}");
    // A click on a tab focuses it; a click in a pane focuses that pane.
    let areas = app.areas();
    let (_, r) = *areas
        .tab_hits
        .iter()
        .find(|(p, _)| *p == Pane::Inspector)
        .unwrap();
    click(&mut app, r.x + 1, r.y);
    assert_eq!(app.focus, Pane::Inspector);
    click(&mut app, 3, 3);
    assert_eq!(app.focus, Pane::States);
}

fn click(app: &mut App, x: u16, y: u16) {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
}

// ----- flows -------------------------------------------------------------------------

#[test]
fn step_over_and_into() {
    let mut app = sample_app("callback.asl.json");
    app.press("n");
    app.settle();
    assert_eq!(app.status_word(), "PAUSED");
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Approved?");
    snap("step_over_120x40", &mut app, 120, 40);
    app.press("F11");
    assert_eq!(app.session.step_count(), 3);
    app.press("p");
    assert_eq!(app.session.step_count(), 2);
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Approved?");
}

#[test]
fn breakpoint_then_continue_to_it() {
    let mut app = sample_app("callback.asl.json");
    // Select "Deploy model" in the States tree and toggle a breakpoint there.
    app.press("j");
    app.press("j");
    assert_eq!(app.selected_state().unwrap().0, "Deploy model");
    app.press("b");
    assert!(app.session.breakpoints.has("Deploy model"));
    snap("breakpoint_set_120x40", &mut app, 120, 40);
    app.press("F5");
    app.settle();
    assert_eq!(app.status_word(), "PAUSED");
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Deploy model");
    snap("breakpoint_hit_120x40", &mut app, 120, 40);
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    snap("succeeded_80x24", &mut app, 80, 24);
}

#[test]
fn complete_a_pending_token() {
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "WAITING");
    assert_eq!(app.pending().len(), 1);
    snap("pending_120x40", &mut app, 120, 40);
    // Open the success form from the Pending pane, type invalid then valid JSON.
    app.press("5");
    app.press("Enter");
    assert!(matches!(app.mode, Mode::Form(_)));
    app.type_text("{\"decision\": \"APPROVED\",");
    snap("form_invalid_80x24", &mut app, 80, 24);
    app.press("Ctrl-s");
    assert!(
        matches!(app.mode, Mode::Form(_)),
        "invalid JSON is not sent"
    );
    app.type_text(" \"reviewer\": \"me@example.com\"}");
    snap("form_valid_80x24", &mut app, 80, 24);
    app.press("Ctrl-s");
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.pending().is_empty());
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    snap("token_completed_120x40", &mut app, 120, 40);
}

#[test]
fn send_failure_and_heartbeat() {
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    app.press("H");
    assert!(app.message.as_ref().unwrap().text.contains("heartbeat"));
    app.press("X");
    app.type_text("Rejected.ByHand");
    app.press("Tab");
    app.type_text("no");
    snap("form_failure_80x24", &mut app, 80, 24);
    app.press("Enter");
    app.press("c");
    app.settle();
    // The task failed with an error nothing catches: the execution fails.
    assert_eq!(app.status_word(), "FAILED");
}

fn temp_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::copy(samples().join(name), &p).unwrap();
    (dir, p)
}

#[test]
fn reload_a_changed_file() {
    let (_dir, path) = temp_copy("callback.asl.json");
    let mut app = manual_app(&path, callback_input());
    app.press("c");
    app.settle();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"stage\": \"production\"", "\"stage\": \"canary\""),
    )
    .unwrap();
    app.update(Msg::FileChanged);
    assert!(
        matches!(app.reload, Some(ReloadStatus::Reloaded { count: 1, .. })),
        "{:?}",
        app.reload
    );
    assert_eq!(app.status_word(), "WAITING", "replayed to where it was");
    assert!(app.session.definition.doc.source.text.contains("canary"));
    snap("reloaded_120x40", &mut app, 120, 40);
    // Saving the same text again is no reload.
    app.update(Msg::FileChanged);
    assert!(matches!(
        app.reload,
        Some(ReloadStatus::Reloaded { count: 1, .. })
    ));
    // A restart starts a new execution: the reload marker goes.
    app.press("r");
    assert_eq!(app.reload, None);
    assert!(!screen(&mut app, 120, 40).contains("reloaded #"));
}

#[test]
fn an_invalid_save_keeps_the_last_good_definition() {
    let (_dir, path) = temp_copy("callback.asl.json");
    let mut app = manual_app(&path, callback_input());
    app.press("n");
    app.settle();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"Type\": \"Task\",", "\"Type\": \"Task\"", 1),
    )
    .unwrap();
    app.update(Msg::FileChanged);
    let Some(ReloadStatus::Invalid { diagnostic }) = &app.reload else {
        panic!("{:?}", app.reload);
    };
    assert!(diagnostic.starts_with("7:"), "line:col first: {diagnostic}");
    assert!(
        app.session
            .definition
            .doc
            .source
            .text
            .contains("\"Type\": \"Task\",")
    );
    snap("invalid_save_120x40", &mut app, 120, 40);
    // A save that is valid but wrong as a state machine shows its diagnostic too.
    std::fs::write(
        &path,
        text.replace("\"Next\": \"Approved?\"", "\"Next\": \"Nowhere\""),
    )
    .unwrap();
    app.update(Msg::FileChanged);
    let Some(ReloadStatus::Invalid { diagnostic }) = &app.reload else {
        panic!("{:?}", app.reload);
    };
    assert!(diagnostic.contains("Nowhere"), "{diagnostic}");
    // Fixing it reloads.
    std::fs::write(&path, &text).unwrap();
    app.update(Msg::FileChanged);
    assert!(
        matches!(app.reload, Some(ReloadStatus::Reloaded { .. })),
        "{:?}",
        app.reload
    );
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut app = sample_app("callback.asl.json");
    app.press("?");
    assert!(matches!(&app.mode, Mode::Pager(p) if p.is_help()));
    snap("help_120x40", &mut app, 120, 40);
    // G goes to its end, where the commands are; k moves back from there.
    app.press("G");
    let end = screen(&mut app, 120, 40);
    assert!(end.contains("Keys can be changed in"), "{end}");
    app.press("k");
    let up = screen(&mut app, 120, 40);
    assert!(!up.contains("Keys can be changed in"), "{up}");
    let text: String = app
        .help_lines()
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
                + "\n"
        })
        .collect();
    for c in stepdbg::tui::commands::COMMANDS {
        assert!(text.contains(&c.synopsis()), "help lists :{}", c.name);
    }
    for &a in Action::ALL {
        assert!(text.contains(a.name()), "help lists {a}");
        for k in app.keymap.keys(a) {
            assert!(text.contains(&k.to_string()), "help shows {k} for {a}");
        }
    }
    app.press("Esc");
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn command_line() {
    let mut app = sample_app("callback.asl.json");
    app.press(":");
    app.type_text("break Depl");
    app.press("Tab");
    assert_eq!(app.command_text().unwrap().text(), "break Deploy model");
    snap("command_line_80x24", &mut app, 80, 24);
    app.press("Enter");
    assert!(app.session.breakpoints.has("Deploy model"));
    app.press(":");
    app.type_text("break Approved? if $.review.decision\n");
    assert_eq!(app.session.breakpoints.list().len(), 2);
    app.press(":");
    app.type_text("break Nope\n");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("no state named")
    );
    app.press(":");
    app.type_text("delete 1\n");
    assert!(!app.session.breakpoints.has("Deploy model"));
    app.press(":");
    app.type_text("goto Deploy model\n");
    app.settle();
    // The conditional breakpoint on Approved? holds (decision is set by the mock).
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Approved?");
    app.press(":");
    app.type_text("goto Deploy model\n");
    app.settle();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Deploy model");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("history.json");
    app.press(":");
    app.type_text(&format!("export {}\n", out.display()));
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(h["events"][0]["type"], "ExecutionStarted");
    app.press(":");
    app.type_text("theme light\n");
    assert_eq!(app.theme.name, "light");
    app.press(":");
    app.type_text("theme nope\n");
    assert!(app.message.as_ref().unwrap().text.contains("no theme"));
    app.press(":");
    app.type_text("input {\"new_model\": {\"name\": \"x\", \"version\": \"1\"}}\n");
    assert_eq!(app.status_word(), "READY");
    assert_eq!(app.session.input["new_model"]["name"], "x");
    app.press(":");
    app.type_text("frobnicate\n");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command")
    );
}

#[test]
fn history_filters_as_you_type() {
    let mut app = sample_app("callback.asl.json");
    app.press("c");
    app.settle();
    let all = app.history_len();
    app.press("/");
    app.type_text("choice");
    assert_eq!(
        app.history_len(),
        2,
        "ChoiceStateEntered and ChoiceStateExited"
    );
    app.press("Enter");
    assert!(matches!(app.mode, Mode::Normal));
    let s = zoomed(&mut app, Pane::History);
    insta::assert_snapshot!("history_filtered", s);
    app.press("/");
    app.press("Esc");
    assert_eq!(app.history_len(), all);
    // Enter on an event inspects its step.
    app.focus_pane(Pane::History);
    app.press("g");
    app.press("j");
    app.press("Enter");
    assert_eq!(
        &*app.inspector.record.as_ref().unwrap().state,
        "Request review"
    );
}

#[test]
fn quitting_asks_while_an_execution_runs() {
    let mut app = sample_app("callback.asl.json");
    app.press("q");
    assert!(app.quit, "nothing started: quits at once");
    let mut app = sample_app("callback.asl.json");
    app.press("n");
    app.settle();
    app.press("q");
    assert!(!app.quit);
    assert!(matches!(app.mode, Mode::ConfirmQuit));
    snap("confirm_quit_80x24", &mut app, 80, 24);
    app.press("n");
    assert!(!app.quit && matches!(app.mode, Mode::Normal));
    app.press("q");
    app.press("y");
    assert!(app.quit);
}

#[test]
fn a_long_map_runs_in_slices_and_shows_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-map.asl.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json!({
            "StartAt": "Each",
            "States": {
                "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                    "ItemProcessor": {"StartAt": "Work", "States": {
                        "Work": {"Type": "Pass", "Next": "More"},
                        "More": {"Type": "Pass", "End": true}}},
                    "End": true}
            }
        }))
        .unwrap(),
    )
    .unwrap();
    let items: Vec<u32> = (0..300).collect();
    let mut app = manual_app(&path, json!({ "items": items }));
    app.press("c");
    assert!(app.is_running());
    let mut saw_progress = None;
    let mut ticks = 0;
    while app.is_running() {
        app.update(Msg::Tick { steps: 50 });
        ticks += 1;
        if let Some(&(d, t)) = app.ix.map_progress.values().next()
            && d > 0
            && d < t
            && saw_progress.is_none()
        {
            saw_progress = Some(screen(&mut app, 80, 24));
            assert_eq!(app.status_word(), "RUNNING");
            // Keys stay live while running: moving works, stepping says to pause first.
            app.press("j");
            app.press("n");
            assert!(app.message.as_ref().unwrap().text.contains("pause"));
        }
    }
    assert!(ticks > 5, "ran in slices ({ticks})");
    let s = saw_progress.expect("progress was shown");
    assert!(s.contains("/300"), "{s}");
    assert!(s.contains("RUNNING"), "{s}");
    assert_eq!(app.status_word(), "SUCCEEDED");
    // Esc pauses a run.
    app.press("r");
    app.press("c");
    app.update(Msg::Tick { steps: 5 });
    app.press("Esc");
    assert!(!app.is_running());
    assert_eq!(app.status_word(), "PAUSED");
}

fn write_def(dir: &Path, name: &str, def: Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&def).unwrap()).unwrap();
    path
}

/// Scroll every pane from end to end, drawing each time; returns how long it took.
fn browse(app: &mut App) -> std::time::Duration {
    let start = std::time::Instant::now();
    for p in Pane::ALL {
        app.focus_pane(p);
        for k in ["G", "PageUp", "k", "g", "PageDown", "j"] {
            app.press(k);
            screen(app, 120, 40);
        }
    }
    start.elapsed()
}

#[test]
fn a_long_history_scrolls_and_filters_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "loop.asl.json",
        json!({
            "StartAt": "Count",
            "States": {
                "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done?"},
                "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 25000, "Next": "End"}], "Default": "Count"},
                "End": {"Type": "Succeed"}
            }
        }),
    );
    let s = Session::open(
        &path,
        SessionOptions {
            input: Some(json!({"n": 0})),
            // EXPRESS: no 25,000-event quota.
            config: Config {
                workflow_type: WorkflowType::Express,
                ..Config::default()
            },
        },
        Box::new(ManualResolver),
    )
    .unwrap();
    let mut app = App::new(s, opts());
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    let events = app.exec().history().len();
    assert!(events >= 100_000, "{events} events");
    let took = browse(&mut app);
    app.focus_pane(Pane::History);
    app.press("/");
    app.type_text("choicestateex");
    assert_eq!(app.history_len(), 25_000);
    app.press("Enter");
    app.press("G");
    screen(&mut app, 120, 40);
    assert!(
        took < std::time::Duration::from_secs(10),
        "browsing took {took:?}"
    );
}

#[test]
fn a_big_payload_unfolds_and_scrolls() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "big.asl.json",
        json!({"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "ResultPath": "$.copy", "End": true}}}),
    );
    // Just under the 256 KiB payload quota (a bigger one fails the execution, as on AWS;
    // the JSON tree's own test scrolls a 1 MB value).
    let blob: Vec<Value> = (0..1_800)
        .map(|i| json!({"id": i, "name": format!("item number {i}"), "tags": ["alpha", "beta"]}))
        .collect();
    let input = json!({ "blob": blob });
    assert!(serde_json::to_string(&input).unwrap().len() > 100_000);
    let mut app = manual_app(&path, input);
    app.press("n");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    app.focus_pane(Pane::Inspector);
    app.press("E");
    assert!(
        app.inspector.tree.line_count() > 10_000,
        "{}",
        app.inspector.tree.line_count()
    );
    let took = browse(&mut app);
    assert!(
        took < std::time::Duration::from_secs(10),
        "browsing took {took:?}"
    );
}

#[test]
fn themes_and_no_color() {
    for name in ["dark", "light", "high-contrast"] {
        let mut app = sample_app("callback.asl.json");
        app.set_theme(Theme::load(name, false).unwrap());
        app.press("n");
        app.settle();
        screen(&mut app, 120, 40);
    }
    let mut app = sample_app("callback.asl.json");
    app.set_theme(Theme::monochrome());
    app.press("n");
    app.settle();
    app.update(Msg::Resize(80, 24));
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| app.view(f)).unwrap();
    use ratatui::style::Color;
    for c in &t.backend().buffer().content {
        assert!(
            matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset),
            "no colour under NO_COLOR: {c:?}"
        );
    }
}

#[test]
fn a_user_key_map_rebinds_actions() {
    let mut km = Keymap::default();
    km.apply_config("step_over = [\"F8\", \"x\"]\n").unwrap();
    let mut app = sample_app("callback.asl.json");
    app.keymap = km;
    app.press("n");
    assert_eq!(app.session.step_count(), 0, "n is no longer bound");
    app.press("x");
    app.settle();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Approved?");
    assert!(screen(&mut app, 120, 40).contains("F8/x over"));
}

#[test]
fn parallel_and_map_samples_nest_in_the_states_tree() {
    let mut app = sample_app("parallel.asl.json");
    app.press("c");
    app.settle();
    let s = zoomed(&mut app, Pane::States);
    insta::assert_snapshot!("states_parallel", s);
    let mut app = sample_app("map.asl.json");
    app.press("c");
    app.settle();
    let s = zoomed(&mut app, Pane::States);
    insta::assert_snapshot!("states_map", s);
    let mut app = sample_app("order-workflow.asl.yaml");
    app.press("n");
    app.settle();
    let s = zoomed(&mut app, Pane::Definition);
    insta::assert_snapshot!("definition_yaml", s);
}

#[test]
fn a_map_shows_what_became_of_each_item() {
    let mut app = sample_app("map.asl.json");
    app.press("c");
    app.settle();
    // Inspect the Map's step (from the States pane).
    app.press("1");
    app.press("g");
    app.press("Enter");
    let rec = app.inspector.record.clone().unwrap();
    assert_eq!(&*rec.state, "Plan each line");
    let tree = &app.inspector.tree;
    let (place, text) = (0..tree.line_count())
        .filter_map(|i| tree.viewable(i))
        .find(|(place, _)| place == "per item")
        .expect("a per-item section");
    assert_eq!(place, "per item");
    let rows: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[2]["item"]["sku"], "GIFT-CARD-25");
    assert_eq!(rows[2]["iterationInput"]["lineNo"], 2);
    assert_eq!(rows[2]["iterationOutput"]["fulfilment"], "EMAIL");
}

// ----- the real-world corpus ---------------------------------------------------------

#[test]
fn every_realworld_definition_opens_and_browses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/realworld/definitions");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut opened = 0;
    let mut failed = Vec::new();
    let mut invalid = Vec::new();
    for f in &files {
        let s = match Session::open(f, SessionOptions::default(), Box::new(ManualResolver)) {
            Ok(s) => s,
            Err(SessionError::Invalid(_)) => {
                invalid.push(f.display().to_string());
                continue;
            }
            Err(e) => {
                failed.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let mut app = App::new(s, opts());
        for (w, h) in [(80, 24), (120, 40)] {
            screen(&mut app, w, h);
            for p in [Pane::States, Pane::Definition] {
                app.focus_pane(p);
                app.zoom = true;
                for k in ["G", "PageUp", "k", "g", "j", "Enter"] {
                    app.press(k);
                    screen(&mut app, w, h);
                }
                app.zoom = false;
            }
        }
        // A few steps, then everything drawn again.
        for _ in 0..3 {
            app.press("n");
            app.settle();
        }
        screen(&mut app, 120, 40);
        screen(&mut app, 80, 24);
        opened += 1;
    }
    assert_eq!(
        failed.len(),
        1,
        "only the malformed JSON file fails to load:\n{}",
        failed.join("\n")
    );
    assert!(
        failed[0].contains("sfn-iot-data-analytics-dataset"),
        "{failed:?}"
    );
    if !invalid.is_empty() {
        // The validator's business (tests/corpora.rs), not the debugger's.
        eprintln!(
            "note: the validator rejects {}:\n{}",
            invalid.len(),
            invalid.join("\n")
        );
    }
    assert_eq!(opened + 1 + invalid.len(), files.len());
}

#[test]
fn step_into_a_branch_and_out_again() {
    let mut app = sample_app("parallel.asl.json");
    // Into the Parallel state, then into its first branch's first state.
    app.press("s");
    app.press("s");
    let cur = app.ix.current.clone().unwrap();
    assert_ne!(cur.thread, 0, "inside a branch: {cur:?}");
    app.press("o");
    app.settle();
    let after = app.ix.current.clone().unwrap();
    assert_ne!(after.thread, cur.thread, "left the branch: {after:?}");
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
}

#[test]
fn the_inspector_shows_the_lambda_invocation() {
    let mut app = sample_app("lambda-invoke.asl.json");
    app.press("n");
    app.settle();
    assert_eq!(
        &*app.inspector.record.as_ref().unwrap().state,
        "Get price quote"
    );
    app.focus_pane(Pane::Inspector);
    app.press("C");
    let s = zoomed(&mut app, Pane::Inspector);
    assert!(s.contains("invocation (task 1)"), "{s}");
    insta::assert_snapshot!("inspector_lambda_folded", s);
    // Step back through the steps with [ and ].
    app.press("c");
    app.settle();
    app.press("[");
    assert_eq!(
        &*app.inspector.record.as_ref().unwrap().state,
        "Get price quote"
    );
    app.press("]");
    assert_eq!(
        &*app.inspector.record.as_ref().unwrap().state,
        "Build reply"
    );
}

#[test]
fn any_size_draws_without_panicking() {
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    for (w, h) in [
        (1, 1),
        (5, 2),
        (10, 3),
        (20, 5),
        (40, 10),
        (60, 15),
        (80, 24),
        (100, 30),
        (119, 31),
        (120, 32),
        (200, 60),
        (300, 100),
    ] {
        for setup in 0..4 {
            match setup {
                1 => app.press("?"),
                2 => {
                    app.press("Esc");
                    app.press("S");
                }
                3 => {
                    app.press("Esc");
                    app.press("z");
                }
                _ => {}
            }
            screen(&mut app, w, h);
        }
        app.press("Esc");
        app.zoom = false;
    }
}

#[test]
fn the_callback_endpoint_completes_tokens() {
    use stepdbg::session::callback::CallbackAction;
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    let token = app.pending()[0].token.clone().unwrap();
    let r = app.apply_callback(
        &token,
        &CallbackAction::Success {
            output: json!({"decision": "REJECTED"}),
        },
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(app.pending().is_empty());
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("SendTaskSuccess")
    );
    assert!(
        app.apply_callback(&token, &CallbackAction::Heartbeat)
            .is_err()
    );
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "FAILED", "Rejected is a Fail state");
}

#[test]
fn catch_command_turns_event_breaks_on_and_off() {
    let mut app = sample_app("retry-catch.asl.json");
    app.run_command("catch retry");
    assert!(app.session.breakpoints.on_retry);
    app.run_command("catch pending off");
    assert!(!app.session.breakpoints.on_pending);
    app.run_command("catch");
    assert!(!app.session.breakpoints.on_pending);
}

#[test]
fn save_and_load_a_session_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.json");
    let mut app = sample_app("retry-catch.asl.json");
    app.run_command("break 'Charge card'");
    assert_eq!(app.session.breakpoints.list().len(), 1);
    app.run_command(&format!("save {}", file.display()));
    assert!(file.is_file());
    let mut again = sample_app("retry-catch.asl.json");
    again.run_command(&format!("load {}", file.display()));
    assert_eq!(
        again.session.breakpoints.list().len(),
        app.session.breakpoints.list().len()
    );
}

#[test]
#[allow(unsafe_code)] // mkfifo(3) to make the FIFO.
fn loading_a_session_from_a_device_or_fifo_never_blocks() {
    let mut app = sample_app("callback.asl.json");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("session.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for path in ["/dev/zero".to_string(), fifo.display().to_string()] {
        app.run_command(&format!("load {path}"));
        let text = &app.message.as_ref().unwrap().text;
        assert!(text.contains("not a regular file"), "{path}: {text}");
    }
}

#[test]
fn help_and_completion_come_from_the_command_table() {
    use stepdbg::tui::commands::{self, COMMANDS};
    let app = sample_app("callback.asl.json");
    let help: Vec<String> = app
        .help_lines()
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    for c in COMMANDS {
        assert!(
            help.iter()
                .any(|l| l.contains(&c.synopsis()) && l.contains(c.help)),
            "the help lists :{}",
            c.name
        );
        // Every name the help shows, and every completion of it, is accepted.
        for name in std::iter::once(&c.name).chain(c.aliases) {
            let completed = commands::complete(name, &[]);
            for line in [name.to_string(), completed.trim_end().to_string()] {
                let accepted = std::iter::once(line.clone())
                    .chain(["x", "1", "30s", "$x 1"].map(|a| format!("{line} {a}")))
                    .any(|l| commands::parse(&l).is_ok());
                assert!(accepted, "{line}");
            }
        }
    }
    // Every action is in the help with its keys.
    for a in stepdbg::tui::Action::ALL {
        assert!(help.iter().any(|l| l.contains(a.name())), "{a}");
    }
}

#[test]
fn tbreak_stops_once() {
    let mut app = sample_app("map.asl.json");
    let mut names = Vec::new();
    app.session
        .definition
        .machine
        .walk(&mut |s| names.push(s.name.to_string()));
    // A state inside the Map runs once per item: a one-shot breakpoint stops once.
    let inner = names
        .iter()
        .find(|n| n.as_str() != names[0])
        .unwrap()
        .clone();
    app.run_command(&format!("tbreak {inner}"));
    assert!(app.message.as_ref().unwrap().text.contains("one-shot"));
    app.press("c");
    app.settle();
    let first = app.session.step_count();
    assert!(
        matches!(
            &app.last_stop,
            Some(stepdbg::session::StopReason::Breakpoint { .. })
        ),
        "{:?}",
        app.last_stop
    );
    assert!(app.session.breakpoints.list().is_empty(), "spent");
    app.press("c");
    app.settle();
    assert!(app.session.step_count() > first);
    assert_eq!(app.status_word(), "SUCCEEDED");
}

/// The callback sample with nobody answering: its task waits for a token.
fn waiting_callback_app() -> App {
    let mut app = manual_app(&samples().join("callback.asl.json"), callback_input());
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "WAITING");
    app
}

#[test]
fn advancing_time_times_the_task_out_into_its_catch() {
    let mut app = waiting_callback_app();
    // The stop says time can be moved.
    let text = &app.message.as_ref().unwrap().text;
    assert!(text.contains("t moves the clock 1d0h"), "{text}");
    // t: to the next deadline, the task's TimeoutSeconds.
    app.press("t");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("advanced 1d0h")
            && text.contains("'Request review' times out (States.Timeout)"),
        "{text}"
    );
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "FAILED");
    let kinds: Vec<&str> = app
        .exec()
        .history()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert!(kinds.contains(&"TaskTimedOut"), "{kinds:?}");
    let fail = app
        .exec()
        .history()
        .iter()
        .find(|e| e.kind.as_str() == "FailStateEntered")
        .unwrap();
    assert_eq!(fail.state_name(), Some("Review timed out"));
}

#[test]
fn advance_by_a_duration_stops_at_a_deadline_on_the_way() {
    let mut app = waiting_callback_app();
    let start = app.exec().clock();
    app.run_command("advance 2h");
    assert_eq!(app.exec().clock(), start + 2 * 3_600_000);
    assert_eq!(app.status_word(), "WAITING", "nothing fired yet");
    app.run_command("advance 2d");
    assert_eq!(
        app.exec().clock(),
        start + 86_400_000,
        "stopped at the TimeoutSeconds deadline, not two days on"
    );
    app.run_command("advance soon");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("usage: advance"),
        "{:?}",
        app.message
    );
}

#[test]
fn catch_retry_stops_at_the_failed_attempt_before_the_back_off() {
    let mut app = sample_app("retry-catch.asl.json");
    app.run_command("catch retry");
    app.press("c");
    app.settle();
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("Retry")
            && text.contains("retrier #0 (ErrorEquals Lambda.TooManyRequestsException)")
            && text.contains("attempt 1 failed; attempt 2 of 5 in"),
        "{text}"
    );
    // The status bar counts the back-off down.
    let screen = screen(&mut app, 120, 40);
    assert!(
        screen.contains("retrying in") && screen.contains("(attempt 2 of 5)"),
        "{screen}"
    );
    // The Inspector shows the attempt's error.
    let rec = app.inspector.record.as_ref().unwrap();
    assert_eq!(rec.attempts.len(), 1);
    assert_eq!(
        rec.attempts[0].error.error_name(),
        "Lambda.TooManyRequestsException"
    );
}

#[test]
fn catch_caught_stops_when_a_catch_fires_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("caught.asl.json");
    std::fs::write(
        &def,
        r#"{"StartAt": "Boom", "States": {
            "Boom": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f"},
                     "Catch": [{"ErrorEquals": ["Oops"], "ResultPath": "$.error", "Next": "Handled"}],
                     "End": true},
            "Handled": {"Type": "Pass", "End": true}}}"#,
    )
    .unwrap();
    let mut app = manual_app(&def, json!({}));
    app.run_command("catch caught");
    app.press("c");
    app.settle();
    app.press("X");
    app.type_text("Oops");
    app.press("Tab");
    app.type_text("it broke\n");
    app.press("c");
    app.settle();
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("CaughtError")
            && text
                .contains("caught by Catch #0 (ErrorEquals Oops) → 'Handled', ResultPath $.error"),
        "{text}"
    );
}

#[test]
fn a_hand_typed_lambda_return_gets_the_invoke_envelope() {
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("lambda-invoke.input.json")).unwrap(),
    )
    .unwrap();
    let mut app = manual_app(&samples().join("lambda-invoke.asl.json"), input);
    app.press("c");
    app.settle();
    app.press("S");
    let screen = screen(&mut app, 100, 30);
    assert!(
        screen.contains("What the function of 'Get price quote' returns")
            && screen.contains("Payload in Lambda's invoke envelope"),
        "{screen}"
    );
    app.type_text(
        "{\"total\": 12.5, \"currency\": \"USD\", \"validUntil\": \"2024-06-04T00:00:00Z\"}",
    );
    app.press("Ctrl-s");
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    let Status::Succeeded { output } = app.session.status() else {
        unreachable!()
    };
    // ResultSelector read $.Payload and $.ExecutedVersion from the envelope.
    assert_eq!(output["total"], json!(12.5));
    assert_eq!(
        output["pricedBy"], "price-quote version $LATEST",
        "{output}"
    );
}

#[test]
fn stepping_back_past_a_hand_answer_lets_a_person_answer_differently() {
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("lambda-invoke.input.json")).unwrap(),
    )
    .unwrap();
    let mut app = manual_app(&samples().join("lambda-invoke.asl.json"), input);
    app.press("c");
    app.settle();
    app.press("S");
    app.type_text("{\"total\": 12.5, \"currency\": \"USD\", \"validUntil\": \"soon\"}");
    app.press("Ctrl-s");
    assert!(app.session.pending().is_empty());
    // p takes the answer back: the task waits again, and the message shows what was sent.
    app.press("p");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("took back your answer to 'Get price quote'") && text.contains("12.5"),
        "{text}"
    );
    assert_eq!(app.session.pending().len(), 1);
    // The form starts from what was sent (what the function returned, not the envelope).
    app.press("S");
    let Mode::Form(form) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    let sent: Value = serde_json::from_str(&form.json.text()).unwrap();
    assert_eq!(sent["total"], json!(12.5));
    assert!(sent.get("Payload").is_none(), "{sent}");
    // Answer differently this time.
    app.press("Esc");
    app.press("S");
    let Mode::Form(form) = &mut app.mode else {
        unreachable!()
    };
    form.json = stepdbg::tui::editor::Editor::multi(
        "{\"total\": 99, \"currency\": \"EUR\", \"validUntil\": \"later\"}",
    );
    form.validate();
    app.press("Ctrl-s");
    app.press("c");
    app.settle();
    let Status::Succeeded { output } = app.session.status() else {
        panic!("{:?}", app.session.status())
    };
    assert_eq!(output["total"], json!(99));
}

#[test]
fn a_hand_typed_function_error_fails_the_task_as_lambda_does() {
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("lambda-invoke.input.json")).unwrap(),
    )
    .unwrap();
    let mut app = manual_app(&samples().join("lambda-invoke.asl.json"), input);
    app.press("c");
    app.settle();
    app.press("X");
    app.type_text("PriceNotFound");
    app.press("Tab");
    app.type_text("no price for SKU-1\n");
    app.press("c");
    app.settle();
    let Status::Failed { error, cause } = app.session.status() else {
        panic!("{:?}", app.session.status())
    };
    assert_eq!(error.as_deref(), Some("PriceNotFound"));
    let cause: Value = serde_json::from_str(cause.as_deref().unwrap()).unwrap();
    assert_eq!(cause["errorMessage"], "no price for SKU-1");
    assert_eq!(cause["errorType"], "PriceNotFound");
}

#[test]
fn eval_and_watch_at_a_pause() {
    let mut app = waiting_callback_app();
    for (expr, want) in [
        ("$.new_model.name", json!("churn-predictor")),
        (
            "States.Format('v{}', $.new_model.version)",
            json!("v2024-06-03"),
        ),
        ("{% $states.input.new_model.metrics.auc * 100 %}", json!(91)),
        ("$count($states.input.new_model.metrics.*)", json!(2)),
        ("$$.State.Name", json!("Request review")),
    ] {
        app.run_command(&format!("eval {expr}"));
        let (text, value) = app.vars.last_eval.clone().unwrap();
        assert_eq!(text, expr);
        assert_eq!(value, want, "{expr}");
        assert!(app.message.as_ref().unwrap().text.starts_with(expr));
    }
    // Errors are the engine's.
    app.run_command("eval $.nope");
    let (_, v) = app.vars.last_eval.clone().unwrap();
    assert_eq!(v["error"], "States.Runtime", "{v}");
    // A watch is re-evaluated at every stop and shown in the Variables pane.
    app.run_command("watch $$.State.Name");
    app.press("S");
    app.type_text("{\"decision\": \"APPROVED\", \"reviewer\": \"x\"}");
    app.press("Ctrl-s");
    app.press("s");
    let screen = zoomed(&mut app, Pane::Variables);
    assert!(
        screen.contains("1 $$.State.Name: \"Approved?\""),
        "{screen}"
    );
    app.run_command("unwatch 1");
    assert!(app.vars.watches.is_empty());
}

#[test]
fn a_choice_explains_itself() {
    let mut app = waiting_callback_app();
    app.press("S");
    app.type_text("{\"decision\": \"REJECTED\", \"reviewer\": \"x\"}");
    app.press("Ctrl-s");
    app.run_command("break Rejected");
    app.press("c");
    app.settle();
    // The Choice's step: every rule's value, and what matched (here: Default).
    let rec = app
        .exec()
        .steps()
        .iter()
        .find(|r| &*r.state == "Approved?")
        .unwrap()
        .clone();
    let trace = rec.choice.clone().unwrap();
    assert_eq!(trace.matched, None);
    assert_eq!(
        trace.rules[0],
        (
            "$.review.decision StringEquals \"APPROVED\"".into(),
            Ok(false)
        )
    );
    assert_eq!(trace.next.as_deref(), Some("Rejected"));
    let i = app
        .exec()
        .steps()
        .iter()
        .position(|r| &*r.state == "Approved?")
        .unwrap();
    app.inspector.inspect = stepdbg::tui::components::Inspect::Step(i);
    app.update(Msg::Resize(120, 60));
    let screen = zoomed(&mut app, Pane::Inspector);
    assert!(
        screen.contains("choice") && screen.contains("matched: \"Default\""),
        "{screen}"
    );
}

#[test]
fn edit_the_input_and_a_variable_before_going_on() {
    let mut app = sample_app("jsonata-variables.asl.json");
    app.press("s");
    let before = app.session.journal().len();
    app.run_command("set $extra {\"n\": 7}");
    assert!(app.message.as_ref().unwrap().text.contains("$extra set"));
    app.run_command("eval $extra.n");
    assert_eq!(app.vars.last_eval.clone().unwrap().1, json!(7));
    app.run_command("set input {\"edited\": true}");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.contains("the next state gets the new input"), "{text}");
    assert_eq!(app.session.journal().len(), before + 2);
    // Step back replays the edits with everything else.
    app.press("s");
    app.press("p");
    app.run_command("eval $extra.n");
    assert_eq!(app.vars.last_eval.clone().unwrap().1, json!(7));
}

#[test]
fn hit_count_breakpoints_let_hits_pass() {
    let mut app = sample_app("map.asl.json");
    let mut names = Vec::new();
    app.session
        .definition
        .machine
        .walk(&mut |s| names.push(s.name.to_string()));
    let inner = names[1].clone();
    app.run_command(&format!("break {inner} after 2"));
    assert!(
        app.message.as_ref().unwrap().text.contains("after 2 hits"),
        "{:?}",
        app.message
    );
    app.press("c");
    app.settle();
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains(&format!("breakpoint at '{inner}' (hit 3)")),
        "{text}"
    );
    app.run_command("break");
    assert!(app.message.as_ref().unwrap().text.contains("after 2"));
}

// ----- the viewer --------------------------------------------------------------------

/// A Fail state whose cause is `cause`.
fn failing_with(dir: &Path, cause: &str) -> App {
    let path = write_def(
        dir,
        "fails.asl.json",
        json!({
            "StartAt": "Give up",
            "States": {"Give up": {"Type": "Fail", "Error": "Upstream.Broken", "Cause": cause}}
        }),
    );
    manual_app(&path, json!({}))
}

/// Every row the viewer shows, paging from the top to the end.
fn viewer_text(app: &mut App) -> String {
    app.press("g");
    let mut seen = String::new();
    let mut last = String::new();
    loop {
        let s = screen(app, 100, 30);
        if s == last {
            return seen;
        }
        // The rows inside the frame (each quoted by the test backend), without the border.
        for row in s.lines().skip(1).take(28) {
            let inner: String = row.chars().skip(2).take(98).collect();
            seen.push_str(&inner);
            seen.push('\n');
        }
        last = s;
        app.press("PageDown");
    }
}

#[test]
fn a_5kb_error_cause_opens_whole_in_the_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<String> = (0..600).map(|i| format!("part{i:04}")).collect();
    let cause = format!("{} END-OF-CAUSE", words.join(" "));
    assert!(cause.len() > 5000);
    let mut app = failing_with(dir.path(), &cause);
    app.press("c");
    app.settle();
    app.press("3");
    // The cut line in the Inspector: the error section's Cause.
    let rows = screen(&mut app, 100, 30);
    assert!(!rows.contains("END-OF-CAUSE"), "the pane cuts it: {rows}");
    while !app
        .inspector
        .tree
        .viewable(app.inspector.tree.cursor)
        .is_some_and(|(place, _)| place.ends_with("error › Cause"))
    {
        let before = app.inspector.tree.cursor;
        app.press("j");
        assert_ne!(
            app.inspector.tree.cursor, before,
            "no Cause line in the Inspector"
        );
    }
    app.press("v");
    assert!(matches!(&app.mode, Mode::Pager(p) if !p.is_help()));
    snap("viewer_error_cause_100x30", &mut app, 100, 30);
    // Paging through shows every word, in order, and the end.
    let text = viewer_text(&mut app);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("part0000 part0001"), "{text}");
    assert!(joined.contains("part0599 END-OF-CAUSE"), "{text}");
    let mut at = 0;
    for w in &words {
        at = joined[at..].find(w.as_str()).map(|i| at + i).expect(w);
    }
    // G shows the end at once; y copies the whole text; Esc closes.
    app.press("g");
    app.press("G");
    assert!(screen(&mut app, 100, 30).contains("END-OF-CAUSE"));
    app.press("y");
    assert_eq!(app.clipboard.as_deref(), Some(cause.as_str()));
    app.press("Esc");
    assert!(matches!(app.mode, Mode::Normal));
}

#[test]
fn the_viewer_shows_a_whole_section_a_history_event_and_a_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = failing_with(dir.path(), "short cause");
    app.press("c");
    app.settle();
    // The error section as JSON.
    app.press("3");
    while !app
        .inspector
        .tree
        .viewable(app.inspector.tree.cursor)
        .is_some_and(|(place, _)| place.ends_with("error"))
    {
        app.press("j");
    }
    app.press("v");
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("\"Error\": \"Upstream.Broken\""), "{s}");
    assert!(s.contains("Give up · error"), "{s}");
    app.press("q");
    // A history event.
    app.press("4");
    app.press("G");
    app.press("v");
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("ExecutionFailed") && s.contains("\"cause\": \"short cause\""),
        "{s}"
    );
    app.press("Esc");
    // A state's definition.
    app.press("1");
    app.press("v");
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("state Give up") && s.contains("\"Type\": \"Fail\""),
        "{s}"
    );
    app.press("y");
    let copied: Value = serde_json::from_str(app.clipboard.as_deref().unwrap()).unwrap();
    assert_eq!(copied["Error"], "Upstream.Broken");
}

#[test]
fn a_message_cut_short_opens_whole_and_messages_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = failing_with(dir.path(), "x");
    let long = format!("break {}", "NoSuchState".repeat(20));
    app.run_command(&long);
    let said = app.message.as_ref().unwrap().text.clone();
    assert!(said.len() > 120, "{said}");
    screen(&mut app, 80, 24);
    app.press("v");
    let s = screen(&mut app, 80, 24);
    assert!(s.contains(" message "), "{s}");
    app.press("Esc");
    app.run_command("messages");
    let s = screen(&mut app, 80, 24);
    assert!(
        s.contains("messages") && s.contains("NoSuchStateNoSuch"),
        "{s}"
    );
}

#[test]
fn problems_lists_every_diagnostic_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "warned.asl.json",
        json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "End": true},
                "Orphan": {"Type": "Pass", "End": true}
            }
        }),
    );
    let mut app = manual_app(&path, json!({}));
    app.run_command("problems");
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("problems (1)") && s.contains("Orphan"), "{s}");
}

// ----- the status bar ----------------------------------------------------------------

#[test]
fn status_bar_items_never_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "placeholders.asl.json",
        json!({
            "StartAt": "Check stock levels in every regional warehouse",
            "States": {
                "Check stock levels in every regional warehouse": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": {"FunctionName": "check-stock"},
                    "QueryLanguage": "JSONata",
                    "TimeoutSeconds": "${CheckStockTimeout}",
                    "End": true
                }
            }
        }),
    );
    let mut app = manual_app(&path, json!({}));
    for width in [200u16, 120, 100, 80, 60] {
        let s = screen(&mut app, width, 30);
        let status = s.lines().nth(28).unwrap();
        assert!(status.contains(" │ steps 0"), "{width}: {status}");
        assert!(status.contains("READY"), "{width}: {status}");
        if width >= 100 {
            assert!(status.contains("▶ Check stock"), "{width}: {status}");
            assert!(status.contains("⚠ "), "{width}: {status}");
        }
    }
}

#[test]
fn long_names_stay_whole_or_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "order-fulfillment-with-callbacks.asl.json",
        json!({
            "StartAt": "Load the 2023 sales data into the warehouse",
            "States": {
                "Load the 2023 sales data into the warehouse": {
                    "Type": "Pass", "Next": "Load the 2024 sales data into the warehouse"
                },
                "Load the 2024 sales data into the warehouse": {"Type": "Pass", "End": true}
            }
        }),
    );
    let mut app = manual_app(&path, json!({}));
    for (w, h) in [(80u16, 24u16), (120, 40), (200, 60)] {
        let s = screen(&mut app, w, h);
        // The file name is never cut.
        assert!(
            s.contains("order-fulfillment-with-callbacks.asl.json"),
            "{w}x{h}:\n{s}"
        );
        // Two states never read the same, however they are cut; StartAt is marked.
        let rows = pane_rows(&mut app, Pane::States, w, h);
        assert!(
            rows[0].contains("2023") && rows[1].contains("2024"),
            "{w}x{h}: {rows:#?}"
        );
        assert!(
            rows[0].contains("⇢") || rows[0].contains("start"),
            "{w}x{h}: {rows:#?}"
        );
        assert!(
            !rows[1].contains("⇢") && !rows[1].contains("start"),
            "{w}x{h}: {rows:#?}"
        );
    }
}

/// The rows inside a pane as drawn at `w`×`h`.
fn pane_rows(app: &mut App, pane: Pane, w: u16, h: u16) -> Vec<String> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.view(f)).unwrap();
    let r = app.pane_inner(pane).expect("the pane shows");
    let buf = t.backend().buffer();
    (r.y..r.y + r.height)
        .map(|y| (r.x..r.x + r.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn export_mocks_keeps_the_answers_so_the_next_run_needs_nobody() {
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(samples().join("lambda-invoke.input.json")).unwrap(),
    )
    .unwrap();
    let def = samples().join("lambda-invoke.asl.json");
    let mut app = manual_app(&def, input.clone());
    app.press("c");
    app.settle();
    app.press("S");
    app.type_text("{\"total\": 12.5, \"currency\": \"USD\", \"validUntil\": \"soon\"}");
    app.press("Ctrl-s");
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    let Status::Succeeded { output: first } = app.session.status().clone() else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.mocks.json");
    // An existing file keeps its other entries.
    std::fs::write(
        &file,
        r#"{"StateMachines": {"Other": {"TestCases": {"T": {"A": "R"}}}}, "MockedResponses": {"R": {"0": {"Return": 1}}}}"#,
    )
    .unwrap();
    app.run_command(&format!("export mocks {} byhand", file.display()));
    let said = app.message.as_ref().unwrap().text.clone();
    assert!(
        said.contains("wrote 1 answers") && said.contains("test case byhand"),
        "{said}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(written["StateMachines"]["Other"].is_object(), "{written}");
    // A new session answered by the file alone: the same result, nobody asked.
    let launch = LaunchOptions {
        definition: def.clone(),
        input: Some(input.to_string()),
        mock_config: Some(file.clone()),
        state_machine_name: Some(app.session.execution().config().state_machine_name.clone()),
        test_case: Some("byhand".into()),
        ..LaunchOptions::default()
    }
    .prepare()
    .unwrap();
    let mut again = Session::open(
        &def,
        SessionOptions {
            input: Some(launch.input),
            config: launch.config,
        },
        Box::new(launch.dispatcher),
    )
    .unwrap();
    assert_eq!(again.continue_(), stepdbg::session::StopReason::Finished);
    assert_eq!(again.status(), &Status::Succeeded { output: first });
}

#[test]
fn every_realworld_task_gets_a_documented_answer_or_says_its_integration_is_unknown() {
    use stepdbg::integrations::services::{default_answer, integration_of};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/realworld/definitions");
    let (mut documented, mut lambda, mut unknown) = (0, 0, Vec::new());
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let Ok(def) = stepdbg::asl::load(&f.path()) else {
            continue;
        };
        def.machine.walk(&mut |s| {
            let stepdbg::asl::model::StateKind::Task(task) = &s.kind else {
                return;
            };
            let req = stepdbg::engine::TaskRequest::new(
                1,
                &s.name,
                &s.pointer,
                &task.resource,
                json!({}),
                0,
            );
            let r = &task.resource;
            if r.contains(":lambda:invoke") && !r.contains("aws-sdk") || r.contains(":function:") {
                lambda += 1;
            } else if let Some(a) = default_answer(&req, 0) {
                assert!(!a.document.is_empty() && !a.errors.is_empty(), "{r}");
                assert!(a.output.is_object(), "{r}");
                documented += 1;
            } else {
                // The form says so (an activity, a placeholder, an unknown integration).
                unknown.push(format!(
                    "{r} ({})",
                    integration_of(r).unwrap_or("not an AWS integration")
                ));
            }
        });
    }
    println!(
        "Task states: {documented} with a documented answer, {lambda} Lambda, {} other: {unknown:#?}",
        unknown.len()
    );
    assert!(documented > 200, "{documented}");
    // What has no documented answer is named: activities, placeholders and the odd
    // optimized integration outside the catalog.
    assert!(unknown.len() < documented / 4, "{unknown:#?}");
}

#[test]
fn a_service_task_form_starts_from_what_aws_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_def(
        dir.path(),
        "ddb.asl.json",
        json!({
            "StartAt": "Load order",
            "States": {
                "Load order": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:getItem",
                    "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}},
                    "ResultPath": "$.order",
                    "End": true
                }
            }
        }),
    );
    let mut app = manual_app(&path, json!({"id": "o-7"}));
    app.press("c");
    app.settle();
    app.press("S");
    let Mode::Form(form) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    let shown: Value = serde_json::from_str(&form.json.text()).unwrap();
    assert_eq!(shown["Item"], json!({"id": {"S": "o-7"}}));
    assert_eq!(shown["SdkHttpMetadata"]["HttpStatusCode"], 200);
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("DynamoDB GetItem's answer, as AWS documents it"),
        "{s}"
    );
    app.press("Esc");
    app.press("X");
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("DynamoDB GetItem raises:")
            && s.contains("DynamoDB.ProvisionedThroughputExceededException"),
        "{s}"
    );
}

#[test]
fn log_points_log_and_go_on() {
    let mut app = sample_app("map.asl.json");
    app.press(":");
    app.type_text("break Digital? log line {$.lineNo}: {$.line.sku}\n");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("log point 1 on 'Digital?'"),
        "{:?}",
        app.message
    );
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED", "a log point does not stop");
    app.press(":");
    app.type_text("messages\n");
    let s = screen(&mut app, 120, 40);
    for line in [
        "line 0: TSHIRT-M-BLK",
        "line 1: MUG-CLASSIC",
        "line 2: GIFT-CARD-25",
    ] {
        assert!(
            s.contains(&format!("log point Digital?: {line}")),
            "{line}: {s}"
        );
    }
}

#[test]
fn the_graph_view_of_every_sample() {
    let mut names = Vec::new();
    for dir in ["", "nested", "distributed-map"] {
        for e in std::fs::read_dir(samples().join(dir)).unwrap().flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            // A child state machine is seen from its parent.
            if (n.ends_with(".asl.json") || n.ends_with(".asl.yaml")) && n != "payment.asl.json" {
                names.push(if dir.is_empty() {
                    n
                } else {
                    format!("{dir}/{n}")
                });
            }
        }
    }
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let name = name.as_str();
        let mut app = sample_app(name);
        app.press("m");
        app.press("c");
        app.settle();
        for (w, h) in [(80, 24), (120, 40)] {
            let s = screen(&mut app, w, h);
            assert!(s.contains("graph (m: list)"), "{name}: {s}");
            insta::assert_snapshot!(
                format!(
                    "graph_{}_{w}x{h}",
                    name.split('.').next().unwrap().replace('/', "_")
                ),
                s
            );
        }
        // Zoomed, every state of the machine is on the canvas.
        let s = zoomed(&mut app, Pane::States);
        let _ = s;
        let mut names = Vec::new();
        app.session
            .definition
            .machine
            .walk(&mut |st| names.push(st.name.to_string()));
        let layout = &app.states.layout;
        for n in &names {
            assert!(layout.boxes.iter().any(|b| &b.name == n), "{name}: {n}");
        }
        // The arrows go from box to box.
        if name == "parallel.asl.json" {
            app.focus_pane(Pane::States);
            app.states
                .select(&app.states.layout.boxes[0].pointer.clone());
            app.press("Down");
            let below = app.states.selected_state().unwrap().0.to_string();
            assert_ne!(below, app.states.layout.boxes[0].name, "Down moved");
            app.press("Up");
            assert_eq!(
                app.states.selected_state().unwrap().1,
                app.states.layout.boxes[0].pointer
            );
        }
        app.press("m");
        assert!(!screen(&mut app, 80, 24).contains("graph (m: list)"));
        // The same graph, with this run on it, for docs.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run.dot");
        app.press(":");
        app.type_text(&format!("export graph {}\n", out.display()));
        let dot = std::fs::read_to_string(&out).unwrap();
        assert!(dot.contains("#d8f0d8"), "visited states coloured: {dot}");
    }
}

// ----- child executions --------------------------------------------------------------

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// The nested sample, stepped until its 'Take payment' task opens the child execution.
fn in_the_payment_child() -> App {
    let mut app = sample_app("nested/order.asl.json");
    for _ in 0..5 {
        if app.nesting.depth() == 1 {
            break;
        }
        app.press("s");
    }
    assert_eq!(app.nesting.depth(), 1, "{}", message(&app));
    app
}

#[test]
fn step_into_a_child_execution_and_back_with_its_result() {
    let mut app = in_the_payment_child();
    assert_eq!(app.exec().config().state_machine_name, "payment");
    assert!(message(&app).contains("started by 'Take payment'"));
    // The child's own panes; the way in on the status bar.
    snap("child_execution_120x40", &mut app, 120, 40);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("order ▸ Take payment ▸ payment"), "{s}");
    assert!(s.contains("payment.asl.json"), "{s}");
    app.press("s");
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Authorize");
    // Continue: the child ends, the parent gets the .sync:2 result and runs on.
    app.press("c");
    app.settle();
    assert_eq!(app.nesting.depth(), 0);
    assert_eq!(app.exec().config().state_machine_name, "order");
    assert_eq!(app.status_word(), "SUCCEEDED", "{}", message(&app));
    let Status::Succeeded { output } = app.session.status() else {
        unreachable!()
    };
    assert_eq!(output["paymentId"], "pay-auth-7f3a9c");
    let call = app
        .session
        .invocations
        .iter()
        .find(|i| i.state == "Take payment")
        .expect("the child's result is the task's answer");
    let response = call.response.as_ref().unwrap();
    assert_eq!(response["Status"], "SUCCEEDED");
    // .sync:2: Input and Output as JSON, not JSON text.
    assert_eq!(response["Output"]["paymentId"], "pay-auth-7f3a9c");
    assert_eq!(response["Input"]["amount"], 127);
    assert!(
        response["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"]
            .as_str()
            .unwrap()
            .contains(":execution:order:")
    );
    assert!(
        response["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":execution:payment:")
    );
}

#[test]
fn a_breakpoint_inside_a_child_state_machine_stops_there() {
    let mut app = sample_app("nested/order.asl.json");
    // Set from the parent: 'Capture' is a state of the child state machine.
    app.run_command("break Capture");
    assert!(
        message(&app).contains("child state machine payment"),
        "{}",
        message(&app)
    );
    app.press("c");
    app.settle();
    assert_eq!(app.nesting.depth(), 1);
    assert_eq!(app.status_word(), "PAUSED");
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Capture");
    assert!(app.session.breakpoints.has("Capture"));
    app.press("c");
    app.settle();
    assert_eq!(app.nesting.depth(), 0);
    assert_eq!(app.status_word(), "SUCCEEDED");
    // The breakpoint is kept for the child's next execution.
    app.press("r");
    app.press("c");
    app.settle();
    assert_eq!(app.nesting.depth(), 1);
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Capture");
}

#[test]
fn stepping_over_a_task_runs_its_child_execution_whole() {
    let mut app = sample_app("nested/order.asl.json");
    app.press("n");
    app.settle();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Take payment");
    app.press("n");
    app.settle();
    assert_eq!(app.nesting.depth(), 0, "{}", message(&app));
    assert_eq!(app.status_word(), "PAUSED");
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Ship");
    // Step out of a child at its top level: it runs to its end, back in the parent.
    let mut app = in_the_payment_child();
    app.press("o");
    app.settle();
    assert_eq!(app.nesting.depth(), 0);
    assert!(
        message(&app).contains("child execution of payment SUCCEEDED"),
        "{}",
        message(&app)
    );
    assert_eq!(app.status_word(), "PAUSED");
}

#[test]
fn step_back_and_restart_leave_a_child_execution() {
    let mut app = in_the_payment_child();
    let parent_steps = {
        app.press("s");
        app.press("s");
        assert_eq!(app.session.step_count(), 2);
        // Back over the child's steps, then out of it.
        app.press("p");
        app.press("p");
        assert_eq!(app.nesting.depth(), 1);
        app.press("p");
        assert_eq!(app.nesting.depth(), 0, "{}", message(&app));
        assert!(message(&app).contains("left the child execution"));
        app.session.step_count()
    };
    // Stepping again opens it again.
    for _ in 0..5 {
        if app.nesting.depth() == 1 {
            break;
        }
        app.press("s");
    }
    assert_eq!(app.nesting.depth(), 1);
    assert!(parent_steps > 0);
    // Restart from a child: the execution the person started, from its beginning.
    app.press("r");
    assert_eq!(app.nesting.depth(), 0);
    assert_eq!(app.exec().config().state_machine_name, "order");
    assert_eq!(app.session.step_count(), 0);
}

#[test]
fn a_distributed_map_shows_its_map_run() {
    let mut app = sample_app("distributed-map/orders.asl.json");
    app.run_command("break Reject batch");
    app.press("c");
    app.settle();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Reject batch");
    // Paused inside the second batch: the run so far, as DescribeMapRun shows it.
    let run = app.session.execution().map_run(0).expect("a Map Run");
    assert_eq!(run["status"], "RUNNING");
    assert!(
        run["mapRunArn"]
            .as_str()
            .unwrap()
            .contains(":mapRun:orders/")
    );
    assert_eq!(run["itemCounts"]["total"], 5);
    assert_eq!(run["executionCounts"]["total"], 3);
    assert_eq!(run["executionCounts"]["succeeded"], 1);
    assert_eq!(run["executionCounts"]["running"], 2, "{run}");
    assert_eq!(run["maxConcurrency"], 2);
    assert_eq!(run["toleratedFailureCount"], 1);
    // On: it stops once more where the batch fails (a failure break), then ends.
    app.press("c");
    app.settle();
    assert!(message(&app).contains("EmptyOrder"), "{}", message(&app));
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED", "{}", message(&app));
    let rec = app
        .session
        .execution()
        .steps()
        .iter()
        .find(|r| &*r.state == "Check orders")
        .unwrap();
    let run = rec
        .map_run
        .as_ref()
        .expect("the ended run on the Map's record");
    assert_eq!(run["status"], "SUCCEEDED");
    assert_eq!(
        run["itemCounts"],
        json!({"pending": 0, "running": 0, "succeeded": 3, "failed": 2, "timedOut": 0,
               "aborted": 0, "total": 5})
    );
    assert_eq!(run["executionCounts"]["failed"], 1);
    let s = zoomed(&mut app, Pane::Inspector);
    assert!(s.contains("map run"), "{s}");
    insta::assert_snapshot!("distributed_map_run_80x24", s);
}

#[test]
fn the_graph_folds_a_map_into_one_box() {
    let mut app = sample_app("map.asl.json");
    app.press("m");
    assert_eq!(app.selected_state().unwrap().0, "Plan each line");
    app.press("x");
    assert!(
        message(&app).contains("'Plan each line' folded"),
        "{}",
        message(&app)
    );
    let boxes = &app.states.layout.boxes;
    assert!(boxes.iter().all(|b| b.name != "Email download link"));
    let map = boxes.iter().find(|b| b.name == "Plan each line").unwrap();
    assert_eq!(map.folded, 3);
    assert!(!map.frame);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("Map +3"), "{s}");
    insta::assert_snapshot!("graph_folded_map_120x40", s);
    // Running inside it: the folded box is the current one.
    app.run_command("break Ship from warehouse");
    app.press("c");
    app.settle();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Ship from warehouse");
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("▶ Plan each line"), "{s}");
    // x again unfolds it; C folds every Map and Parallel, E unfolds them all.
    app.press("x");
    assert!(message(&app).contains("unfolded"), "{}", message(&app));
    assert!(
        app.states
            .layout
            .boxes
            .iter()
            .any(|b| b.name == "Email download link")
    );
    app.press("C");
    assert!(
        app.states
            .layout
            .boxes
            .iter()
            .all(|b| b.folded == 0 || b.name == "Plan each line")
    );
    assert!(app.states.layout.boxes.iter().all(|b| b.name != "Digital?"));
    app.press("E");
    assert!(app.states.folded.is_empty());
    assert!(app.states.layout.boxes.iter().any(|b| b.name == "Digital?"));
}

#[test]
fn the_graph_view_of_the_largest_realworld_definitions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/realworld/definitions");
    // The three with the most states.
    let mut sized: Vec<(usize, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let def = stepdbg::asl::load(&e.path()).ok()?;
            let mut n = 0;
            def.machine.walk(&mut |_| n += 1);
            (!def.has_errors()).then_some((n, e.path()))
        })
        .collect();
    sized.sort();
    for (n, path) in sized.iter().rev().take(3) {
        let s = Session::open(path, SessionOptions::default(), Box::new(ManualResolver)).unwrap();
        let mut app = App::new(s, opts());
        app.press("m");
        let stem = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace(".asl", "");
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let s = screen(&mut app, w, h);
            assert!(s.contains("graph (m: list)"), "{stem}: {s}");
            if (w, h) != (200, 60) {
                insta::assert_snapshot!(format!("graph_realworld_{stem}_{w}x{h}"), s);
            }
        }
        // Every state is placed; the selection can walk to the last box and back in view.
        let mut names = Vec::new();
        app.session
            .definition
            .machine
            .walk(&mut |st| names.push(st.name.to_string()));
        assert_eq!(names.len(), *n);
        for name in &names {
            assert!(
                app.states.layout.boxes.iter().any(|b| &b.name == name),
                "{stem}: {name}"
            );
        }
        app.focus_pane(Pane::States);
        for _ in 0..*n {
            app.press("Down");
        }
        let (sel, _) = app.states.selected_state().unwrap();
        let sel = sel.to_string();
        let s = screen(&mut app, 80, 24);
        let shown: String = sel.chars().take(8).collect();
        assert!(s.contains(&shown), "{stem}: '{sel}' not in view:\n{s}");
    }
}
