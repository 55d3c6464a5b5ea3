//! `stepdbg graph DEFINITION`: the state machine as a picture (Mermaid, DOT or SVG), with a
//! run's path on it.

use super::exit;
use crate::graph::{Block, RunMarks, export};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The definition file (JSON or YAML), or a SAM/CloudFormation template.
    pub definition: PathBuf,
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    /// Draw the path a run took: a history as `--history`, `:export` or `aws stepfunctions
    /// get-execution-history` write it.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub template: super::TemplateArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

pub fn run(args: GraphArgs) -> i32 {
    let target = crate::project::Target::of(
        &args.definition,
        args.template.state_machine.clone(),
        args.template.options(),
    );
    let def = match super::open_valid(&target) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let marks = match &args.history {
        None => RunMarks::default(),
        Some(p) => match crate::session::replay::Recording::load(p) {
            Ok(r) => RunMarks::from_history(&r.events),
            Err(e) => {
                errln!("error: {e}");
                return exit::USAGE;
            }
        },
    };
    let block = Block::of(&def.machine);
    let text = match args.format {
        GraphFormat::Mermaid => export::mermaid(&block, &marks),
        GraphFormat::Dot => export::dot(&block, &marks),
        GraphFormat::Svg => export::svg(&block, &marks),
    };
    match &args.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, text) {
                errln!("error: cannot write {}: {e}", p.display());
                return exit::USAGE;
            }
            exit::OK
        }
        None => {
            outln!("{}", text.trim_end());
            exit::OK
        }
    }
}
