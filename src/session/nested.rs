//! Child executions in the debugger: a task that starts a local state machine opens its
//! execution as a session of its own, stepped like the parent (its History, Inspector and
//! breakpoints); when it ends, its result becomes the task's, in the shape AWS gives, and
//! the parent is current again. [`Nesting`] keeps the suspended parents, outermost first.

use super::breakpoints::Breakpoints;
use super::{Session, SessionError};
use crate::engine::TaskId;
use crate::integrations::children::ChildStart;
use std::collections::HashMap;

/// A parent suspended while its child execution is open.
struct Outer {
    session: Session,
    task: TaskId,
    /// The task's state, in the parent.
    state: String,
    /// The child state machine's name.
    name: String,
    start: ChildStart,
    resume: Option<super::bounded::RunGoal>,
}

/// The parents of the session open now (empty: it is the execution the person started),
/// and the breakpoints set in each child state machine, kept between its executions.
#[derive(Default)]
pub struct Nesting {
    outer: Vec<Outer>,
    kept: HashMap<String, Breakpoints>,
}

/// A child execution that ended and handed its result to its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Left {
    pub name: String,
    /// How it ended (SUCCEEDED, FAILED, ...).
    pub status: &'static str,
    /// The parent's state that started it.
    pub state: String,
    /// What the parent was doing when the child was opened, to go on with.
    pub resume: Option<super::bounded::RunGoal>,
}

impl Nesting {
    /// How many parents the open session has.
    pub fn depth(&self) -> usize {
        self.outer.len()
    }

    /// Each parent's state machine and the state whose task started the next execution,
    /// outermost first.
    pub fn path(&self) -> Vec<(String, String)> {
        self.outer
            .iter()
            .map(|o| {
                (
                    o.session.execution().config().state_machine_name.clone(),
                    o.state.clone(),
                )
            })
            .collect()
    }

    /// Open the child execution `task` of `current` starts: `current` becomes the child
    /// (with the breakpoints last set in that state machine), its parent waits here.
    /// `resume` is what to go on with in the parent once the child ends.
    pub fn enter(
        &mut self,
        current: &mut Session,
        task: TaskId,
        resume: Option<super::bounded::RunGoal>,
    ) -> Result<(), SessionError> {
        let state = current
            .execution()
            .task(task)
            .map(|t| t.state.clone())
            .ok_or(SessionError::NoTask(task))?;
        let (mut child, start, machine) = current.open_child(task)?;
        let name = machine.name;
        if let Some(kept) = self.kept.get(&name) {
            child.breakpoints = kept.clone();
            child.breakpoints.copy_kinds(&current.breakpoints);
        }
        let parent = std::mem::replace(current, child);
        self.outer.push(Outer {
            session: parent,
            task,
            state,
            name,
            start,
            resume,
        });
        Ok(())
    }

    /// `current`, a child execution, has ended: its parent gets the result and is current
    /// again. None when `current` has no parent.
    pub fn leave(&mut self, current: &mut Session) -> Option<Left> {
        let outer = self.outer.pop()?;
        let child = std::mem::replace(current, outer.session);
        current.close_child(outer.task, &outer.start, &child);
        let status = child.status().name();
        self.kept.insert(outer.name.clone(), child.breakpoints);
        Some(Left {
            name: outer.name,
            status,
            state: outer.state,
            resume: outer.resume,
        })
    }

    /// Give up the child execution open now without a result (stepping back out of it,
    /// restarting): its parent's task waits to open it again. False when there is none.
    pub fn abandon(&mut self, current: &mut Session) -> bool {
        let Some(outer) = self.outer.pop() else {
            return false;
        };
        let child = std::mem::replace(current, outer.session);
        self.kept.insert(outer.name, child.breakpoints);
        current.reopen_child(outer.task);
        true
    }

    /// Back to the execution the person started.
    pub fn to_root(&mut self, current: &mut Session) {
        while self.abandon(current) {}
    }

    /// The breakpoints of child state machine `name` (used when it is next opened).
    pub fn breakpoints_of(&mut self, name: &str) -> &mut Breakpoints {
        self.kept.entry(name.to_string()).or_default()
    }
}
