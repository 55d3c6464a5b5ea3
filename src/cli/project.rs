//! `stepdbg project TEMPLATE`: what a SAM/CloudFormation template resolves to.

use super::exit;
use crate::project::{Project, report};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// The template (template.yaml, a CDK cdk.out/*.template.json, ...).
    pub template: PathBuf,
    /// text (a table to read) or json (one object).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    #[command(flatten)]
    pub template_args: super::TemplateArgs,
}

pub fn run(args: ProjectArgs) -> i32 {
    let project = match Project::load(&args.template, args.template_args.options()) {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    if args.format == "json" {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report::to_json(&project)).unwrap_or_default()
        );
    } else {
        outln!("{}", report::to_text(&project).trim_end());
    }
    exit::OK
}
