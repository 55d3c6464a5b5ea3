//! `stepdbg policy DEFINITION`: the IAM policy Step Functions generates for the
//! definition's Lambda calls.

use super::exit;
use crate::asl;
use crate::integrations::lambda::{FunctionRef, LambdaCall, function_arn, lambda_calls};
use crate::json;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// The definition file (JSON or YAML), or a SAM/CloudFormation template.
    pub definition: PathBuf,
    /// Region for function names given without one [default: the [[region]] placeholder].
    #[arg(long)]
    pub region: Option<String>,
    /// Account for function names given without one [default: the [[accountId]] placeholder].
    #[arg(long)]
    pub account_id: Option<String>,
    /// ARN partition.
    #[arg(long, default_value = "aws")]
    pub partition: String,
    /// Output format (only JSON, pretty-printed).
    #[arg(long, default_value = "json", value_parser = ["json"])]
    pub format: String,
    #[command(flatten)]
    pub template: super::TemplateArgs,
}

pub fn run(args: PolicyArgs) -> i32 {
    // A template's functions get the ARNs of the account and region asked for.
    let options = crate::project::ProjectOptions {
        region: args.region.clone(),
        account: args.account_id.clone(),
        ..args.template.options()
    };
    let target = crate::project::Target::of(
        &args.definition,
        args.template.state_machine.clone(),
        options,
    );
    let def = match super::open_valid(&target) {
        Ok(d) => d,
        Err(code) => return code,
    };
    outln!(
        "{}",
        serde_json::to_string_pretty(&policy(&def, &args)).unwrap_or_default()
    );
    exit::OK
}

/// The policy document: one Allow statement for lambda:InvokeFunction over every distinct
/// function, a wildcard where a function name is dynamic.
pub fn policy(def: &asl::Definition, args: &PolicyArgs) -> crate::json::Value {
    let region = args.region.as_deref().unwrap_or("[[region]]");
    let account = args.account_id.as_deref().unwrap_or("[[accountId]]");
    let mut resources: Vec<String> = Vec::new();
    for (_, call) in lambda_calls(&def.machine, def.doc.value()) {
        let arn = match call {
            LambdaCall::FunctionArn { arn } => arn,
            LambdaCall::Invoke {
                function: FunctionRef::Static { name, qualifier },
            } => function_arn(
                &name,
                qualifier.as_deref(),
                &args.partition,
                region,
                account,
            ),
            LambdaCall::Invoke {
                function: FunctionRef::Dynamic,
            } => {
                format!(
                    "arn:{}:lambda:{region}:{account}:function:*",
                    args.partition
                )
            }
        };
        if !resources.contains(&arn) {
            resources.push(arn);
        }
    }
    if resources.is_empty() {
        return json!({"Version": "2012-10-17", "Statement": []});
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": resources,
        }]
    })
}
