//! Bounded runs, for front ends that must keep drawing and reading keys (the TUI): the
//! same commands as [`Session::continue_`], [`Session::step_over`], [`Session::step_out`]
//! and [`Session::run_to`], taken in slices of at most N engine steps. A slice that ends
//! without a stop returns `None`; call [`Session::run_bounded`] again to go on. The stops
//! are the same as the one-shot commands' (breakpoints are not checked before the first
//! step of a run, so continuing from a breakpoint leaves it; they are checked at every
//! later step, slice boundaries included).

use super::{Session, StopReason};

/// What a bounded run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunGoal {
    Continue,
    StepOver,
    StepOut,
    RunTo(String),
}

#[derive(Debug, Clone)]
enum Until {
    Never,
    /// One engine step (step over/out when no thread can run).
    OneStep,
    /// `thread` closed a step record after `scanned` (records before it already seen).
    ThreadStepped {
        thread: usize,
        scanned: usize,
    },
    /// A state named so is about to be entered.
    Entering(String),
}

/// A run in progress.
#[derive(Debug, Clone)]
pub struct BoundedRun {
    pub goal: RunGoal,
    until: Until,
    first: bool,
    /// Engine steps this run has taken.
    pub steps: usize,
    /// The last slice ended because nothing can run until a function running in the
    /// background answers ([`Session::wakeup`] says when): no use slicing until then.
    pub waiting: bool,
}

impl Session {
    /// Start a run toward `goal` (nothing runs until [`Session::run_bounded`]).
    pub fn begin_run(&self, goal: RunGoal) -> BoundedRun {
        let next = self.exec.next_runnable();
        let until = match (&goal, next) {
            (RunGoal::Continue, _) => Until::Never,
            (RunGoal::RunTo(s), _) => Until::Entering(s.clone()),
            (RunGoal::StepOver | RunGoal::StepOut, None) => Until::OneStep,
            (RunGoal::StepOver, Some(thread)) => Until::ThreadStepped {
                thread,
                scanned: self.exec.steps().len(),
            },
            // Out of an iteration or a branch is out of the Map or Parallel: run until the
            // thread that runs it has finished that state.
            (RunGoal::StepOut, Some(thread)) => {
                let parent = self
                    .exec
                    .thread_positions()
                    .iter()
                    .find(|p| p.thread == thread)
                    .and_then(|p| p.parent);
                match parent {
                    None => Until::Never,
                    Some(parent) => Until::ThreadStepped {
                        thread: parent,
                        scanned: self.exec.steps().len(),
                    },
                }
            }
        };
        BoundedRun {
            goal,
            until,
            // Not again at the breakpoint it stopped at (but at one a rule or handler
            // stopped just before).
            first: !self.entry_unchecked,
            steps: 0,
            waiting: false,
        }
    }

    /// Take up to `max_steps` engine steps of `run`. `Some(stop)`: the run is over;
    /// `None`: it goes on (call again).
    pub fn run_bounded(&mut self, run: &mut BoundedRun, max_steps: usize) -> Option<StopReason> {
        self.poll_background();
        run.waiting = false;
        for _ in 0..max_steps.max(1) {
            if self.exec.status().is_done() {
                return Some(StopReason::Finished);
            }
            if run.steps >= self.max_steps_per_continue {
                return Some(StopReason::StepLimit);
            }
            if !run.first
                && let Some(bp) = self.breakpoint_ahead()
            {
                return Some(bp);
            }
            run.first = false;
            run.steps += 1;
            match self.engine_step() {
                // Tasks answered on other threads: keep the run going; their answers are
                // picked up by the next slice.
                Some(StopReason::Blocked) if self.in_flight() > 0 => {
                    run.steps -= 1;
                    run.waiting = true;
                    return None;
                }
                Some(stop) => return Some(stop),
                None => {}
            }
            let done = match &mut run.until {
                Until::Never => false,
                Until::OneStep => true,
                Until::ThreadStepped { thread, scanned } => {
                    let steps = self.exec.steps();
                    let hit = steps[(*scanned).min(steps.len())..]
                        .iter()
                        .any(|r| r.thread == *thread);
                    *scanned = steps.len();
                    hit
                }
                Until::Entering(target) => self
                    .exec
                    .next_runnable()
                    .and_then(|t| self.exec.next_state_of(t))
                    .is_some_and(|st| *st.name == **target),
            };
            if done {
                return Some(StopReason::Stepped);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::session::{ManualResolver, SessionOptions};

    fn session(def: crate::json::Value) -> Session {
        let d = crate::asl::from_value(def);
        assert!(!d.has_errors());
        Session::from_definition(
            std::path::Path::new("<test>"),
            d,
            SessionOptions::default(),
            Box::new(ManualResolver),
        )
    }

    fn map_machine() -> crate::json::Value {
        json!({
            "StartAt": "Items",
            "States": {
                "Items": {"Type": "Pass", "Result": [1,2,3,4,5,6,7,8], "Next": "Each"},
                "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Double", "States": {
                    "Double": {"Type": "Pass", "Next": "Done"},
                    "Done": {"Type": "Succeed"}}}, "Next": "End"},
                "End": {"Type": "Pass", "End": true}
            }
        })
    }

    #[test]
    fn sliced_runs_match_one_shot_runs() {
        for goal in [
            RunGoal::Continue,
            RunGoal::StepOver,
            RunGoal::RunTo("End".into()),
        ] {
            let mut a = session(map_machine());
            let mut b = session(map_machine());
            for _ in 0..3 {
                let one = match &goal {
                    RunGoal::Continue => a.continue_(),
                    RunGoal::StepOver => a.step_over(),
                    RunGoal::RunTo(s) => a.run_to(s),
                    RunGoal::StepOut => a.step_out(),
                };
                let mut run = b.begin_run(goal.clone());
                let sliced = loop {
                    if let Some(stop) = b.run_bounded(&mut run, 2) {
                        break stop;
                    }
                };
                assert_eq!(one, sliced, "{goal:?}");
                assert_eq!(a.execution().history(), b.execution().history());
            }
        }
    }

    #[test]
    fn breakpoints_at_slice_boundaries_stop() {
        let mut s = session(map_machine());
        s.breakpoints.add("Done", None).unwrap();
        let mut run = s.begin_run(RunGoal::Continue);
        let stop = loop {
            if let Some(stop) = s.run_bounded(&mut run, 1) {
                break stop;
            }
        };
        assert!(
            matches!(&stop, StopReason::Breakpoint { state, .. } if state == "Done"),
            "{stop:?}"
        );
    }
}
