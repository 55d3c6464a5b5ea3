//! A Distributed Map's ItemReader and ResultWriter, on local folders standing for S3 buckets
//! (`--bucket NAME=DIR`, `[buckets]` in stepdbg.toml): `s3:getObject` of a JSON array,
//! JSON Lines or CSV file (ReaderConfig `InputType`, `CSVHeaderLocation`, `CSVHeaders`,
//! `CSVDelimiter`, `MaxItems`), an S3 inventory's manifest (`InputType: MANIFEST`,
//! `ManifestType: S3_INVENTORY`) or an Athena UNLOAD manifest (`ATHENA_DATA`), and
//! `s3:listObjectsV2` of a prefix, with the items AWS gives. Nothing leaves the machine: a bucket with no folder is a clear failure.

use crate::engine::{Failure, TaskOutcome, TaskRequest};
use crate::json;
use crate::json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bucket name → the local folder that stands for it.
pub type Buckets = BTreeMap<String, PathBuf>;

/// The items the reader of `req` reads.
pub fn read(req: &TaskRequest, buckets: &Buckets) -> TaskOutcome {
    match read_items(req, buckets) {
        Ok(items) => TaskOutcome::Success(Value::Array(items)),
        Err(cause) => TaskOutcome::Failure(Failure::new("States.ItemReaderFailed", cause)),
    }
}

fn read_items(req: &TaskRequest, buckets: &Buckets) -> Result<Vec<Value>, String> {
    let params = req.input.get("Parameters").cloned().unwrap_or(Value::Null);
    let config = req
        .input
        .get("ReaderConfig")
        .cloned()
        .unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let bucket = text(&params, "Bucket").ok_or("the ItemReader's Parameters have no Bucket")?;
    let dir = bucket_dir(buckets, &bucket)?;
    let action = req
        .resource
        .rsplit_once(":::")
        .map_or(req.resource.as_str(), |(_, a)| a);
    let mut items = match action {
        "s3:getObject" => {
            let key = text(&params, "Key").ok_or("the ItemReader's Parameters have no Key")?;
            let body = read_object(buckets, &bucket, &key)?;
            let input_type = text(&config, "InputType");
            match (
                text(&config, "ManifestType").as_deref(),
                input_type.as_deref(),
            ) {
                // An S3 inventory's manifest.json (the older form is InputType MANIFEST).
                (Some("S3_INVENTORY"), _) | (None, Some("MANIFEST")) => {
                    inventory_items(buckets, &bucket, &key, &body)?
                }
                // An Athena UNLOAD manifest: one s3:// URI a line, each file of InputType.
                (Some("ATHENA_DATA"), _) => {
                    let mut items = Vec::new();
                    for uri in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
                        let (b, k) = s3_uri(uri).ok_or_else(|| {
                            format!("s3://{bucket}/{key}: '{uri}' is not an s3:// URI")
                        })?;
                        let data = read_object(buckets, b, k)?;
                        items.extend(file_items(&data, input_type.as_deref(), &config, b, k)?);
                    }
                    items
                }
                (Some(other), _) => {
                    return Err(format!(
                        "ReaderConfig ManifestType {other} is not one AWS knows (S3_INVENTORY, ATHENA_DATA)"
                    ));
                }
                (None, t) => file_items(&body, t, &config, &bucket, &key)?,
            }
        }
        "s3:listObjectsV2" => {
            let prefix = text(&params, "Prefix").unwrap_or_default();
            list_objects(dir, &prefix)?
        }
        other => {
            return Err(format!(
                "the ItemReader resource {other} is not one stepdbg reads locally (s3:getObject, s3:listObjectsV2)"
            ));
        }
    };
    keep_max_items(&mut items, &config);
    Ok(items)
}

/// ReaderConfig's MaxItems (0: all).
fn keep_max_items(items: &mut Vec<Value>, config: &Value) {
    if let Some(n) = config
        .get("MaxItems")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
    {
        items.truncate(n as usize);
    }
}

/// TestState's answers: a Map's ItemReader reads `data` (`mapItemReaderData`) as its
/// ReaderConfig says (JSON, JSONL, CSV); nothing else is answered here.
pub fn test_state_answers(data: Option<String>) -> impl FnMut(&TaskRequest) -> Option<TaskOutcome> {
    move |req| {
        let data = data.as_deref().filter(|_| req.is_item_reader())?;
        let config = req
            .input
            .get("ReaderConfig")
            .cloned()
            .unwrap_or(Value::Null);
        let input_type = config.get("InputType").and_then(Value::as_str);
        Some(
            match file_items(data, input_type, &config, "TestState", "mapItemReaderData") {
                Ok(mut items) => {
                    keep_max_items(&mut items, &config);
                    TaskOutcome::Success(Value::Array(items))
                }
                Err(cause) => TaskOutcome::Failure(Failure::new("States.ItemReaderFailed", cause)),
            },
        )
    }
}

/// Write a Map's results as its ResultWriter does: `PREFIX/RUN/SUCCEEDED_0.json` (and
/// `FAILED_0.json` when some failed within tolerance) and `PREFIX/RUN/manifest.json` in the
/// bucket's folder; the answer is what the Map state gets (`MapRunArn`,
/// `ResultWriterDetails`).
pub fn write(req: &TaskRequest, buckets: &Buckets) -> TaskOutcome {
    match write_results(req, buckets) {
        Ok(v) => TaskOutcome::Success(v),
        Err(cause) => TaskOutcome::Failure(Failure::new("States.ResultWriterFailed", cause)),
    }
}

fn write_results(req: &TaskRequest, buckets: &Buckets) -> Result<Value, String> {
    let params = req.input.get("Parameters").cloned().unwrap_or(Value::Null);
    let bucket = params
        .get("Bucket")
        .and_then(Value::as_str)
        .ok_or("the ResultWriter's Parameters have no Bucket")?;
    let prefix = params.get("Prefix").and_then(Value::as_str).unwrap_or("");
    let dir = bucket_dir(buckets, bucket)?;
    let map_run = req.input["MapRunArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let run_id = map_run.rsplit(':').next().unwrap_or("run").to_string();
    let folder = format!(
        "{}{run_id}",
        if prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", prefix.trim_end_matches('/'))
        }
    );
    let base = object_path(dir, &folder)?;
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    let entries: Vec<Value> = req.input["Succeeded"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|out| {
            json!({
                "Output": crate::expr::compact(out),
                "OutputDetails": {"Included": true},
                "Status": "SUCCEEDED",
            })
        })
        .collect();
    let body = serde_json::to_string(&entries).unwrap_or_default();
    let key = format!("{folder}/SUCCEEDED_0.json");
    std::fs::write(base.join("SUCCEEDED_0.json"), &body).map_err(|e| format!("{key}: {e}"))?;
    // Failures within tolerance go to FAILED_0.json, with their error and cause.
    let failures: Vec<Value> = req.input["Failed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            json!({
                "Error": f.get("Error").cloned().unwrap_or(Value::Null),
                "Cause": f.get("Cause").cloned().unwrap_or(Value::Null),
                "Status": "FAILED",
            })
        })
        .collect();
    let mut failed_files = Vec::new();
    if !failures.is_empty() {
        let text = serde_json::to_string(&failures).unwrap_or_default();
        let failed_key = format!("{folder}/FAILED_0.json");
        std::fs::write(base.join("FAILED_0.json"), &text)
            .map_err(|e| format!("{failed_key}: {e}"))?;
        failed_files.push(json!({"Key": failed_key, "Size": text.len()}));
    }
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": map_run,
        "ResultFiles": {
            "FAILED": failed_files,
            "PENDING": [],
            "SUCCEEDED": [{"Key": key, "Size": body.len()}],
        },
    });
    let manifest_key = format!("{folder}/manifest.json");
    std::fs::write(
        base.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap_or_default(),
    )
    .map_err(|e| format!("{manifest_key}: {e}"))?;
    Ok(json!({
        "MapRunArn": map_run,
        "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key},
    }))
}

/// `key` inside the bucket's folder, refusing keys that climb out of it.
/// The items of one data file of `input_type` (JSON when not given).
fn file_items(
    body: &str,
    input_type: Option<&str>,
    config: &Value,
    bucket: &str,
    key: &str,
) -> Result<Vec<Value>, String> {
    match input_type.unwrap_or("JSON") {
        "JSON" => json_items(body, bucket, key),
        "JSONL" => jsonl_items(body, bucket, key),
        "CSV" => csv_items(body, config),
        "PARQUET" => Err(format!(
            "s3://{bucket}/{key}: Parquet files are not read locally (give the items as CSV or JSON Lines)"
        )),
        other => Err(format!(
            "ReaderConfig InputType {other} is not one AWS knows"
        )),
    }
}

/// The largest object read (and, gzipped, the most it may expand to).
const MAX_OBJECT_BYTES: u64 = crate::shell::read::MAX_FILE_BYTES * 32;

/// The text of object `key` of `bucket`, from the folder standing for it; a `.gz` object
/// is decompressed (S3 inventory files are gzipped CSV).
fn read_object(buckets: &Buckets, bucket: &str, key: &str) -> Result<String, String> {
    let dir = bucket_dir(buckets, bucket)?;
    let path = object_path(dir, key)?;
    let mut bytes = crate::shell::read::bytes(
        &path,
        MAX_OBJECT_BYTES,
        crate::shell::read::Kind::RegularOnly,
    )
    .map_err(|e| format!("s3://{bucket}/{key} ({}): {e}", path.display()))?;
    if key.ends_with(".gz") {
        use std::io::Read;
        let mut out = Vec::new();
        // Bounded: a small archive may expand without limit.
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_OBJECT_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("s3://{bucket}/{key} is not gzip data: {e}"))?;
        if out.len() as u64 > MAX_OBJECT_BYTES {
            return Err(format!(
                "s3://{bucket}/{key} expands past {} MiB",
                MAX_OBJECT_BYTES >> 20
            ));
        }
        bytes = out;
    }
    String::from_utf8(bytes).map_err(|_| format!("s3://{bucket}/{key} is not UTF-8 text"))
}

/// The folder standing for `bucket`.
fn bucket_dir<'b>(buckets: &'b Buckets, bucket: &str) -> Result<&'b PathBuf, String> {
    buckets.get(bucket).ok_or_else(|| {
        format!(
            "no local folder stands for the bucket '{bucket}': map it with --bucket {bucket}=DIR \
             or a [buckets] table in stepdbg.toml (stepdbg never calls S3)"
        )
    })
}

/// `s3://BUCKET/KEY` → (BUCKET, KEY).
fn s3_uri(uri: &str) -> Option<(&str, &str)> {
    uri.strip_prefix("s3://")?.split_once('/')
}

/// The items of an S3 inventory: each row of each CSV file the manifest lists (in the
/// manifest's bucket, the inventory's destination), its columns named by `fileSchema`,
/// every value a string, as AWS hands them to the iterations.
fn inventory_items(
    buckets: &Buckets,
    bucket: &str,
    key: &str,
    manifest: &str,
) -> Result<Vec<Value>, String> {
    let m: Value = serde_json::from_str(manifest)
        .map_err(|e| format!("s3://{bucket}/{key} is not an S3 inventory manifest: {e}"))?;
    let format = m.get("fileFormat").and_then(Value::as_str).unwrap_or("CSV");
    if format != "CSV" {
        return Err(format!(
            "s3://{bucket}/{key}: inventory files of format {format} are not read (Step Functions reads CSV inventories)"
        ));
    }
    let schema: Vec<Value> = m
        .get("fileSchema")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("s3://{bucket}/{key}: the manifest has no fileSchema"))?
        .split(',')
        .map(|c| Value::from(c.trim()))
        .collect();
    let files = m
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("s3://{bucket}/{key}: the manifest has no files"))?;
    let config = json!({"CSVHeaderLocation": "GIVEN", "CSVHeaders": schema});
    let mut items = Vec::new();
    for f in files {
        let file = f
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("s3://{bucket}/{key}: a file of the manifest has no key"))?;
        let body = read_object(buckets, bucket, file)?;
        items.extend(csv_items(&body, &config)?);
    }
    Ok(items)
}

fn object_path(dir: &Path, key: &str) -> Result<PathBuf, String> {
    if key.split('/').any(|p| p == "..") {
        return Err(format!("the key {key} leaves the bucket's folder"));
    }
    Ok(dir.join(key.trim_start_matches('/')))
}

fn json_items(body: &str, bucket: &str, key: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(format!(
            "s3://{bucket}/{key} holds JSON that is not an array (InputType JSON needs a list of items)"
        )),
        Err(e) => Err(format!("s3://{bucket}/{key} is not valid JSON: {e}")),
    }
}

fn jsonl_items(body: &str, bucket: &str, key: &str) -> Result<Vec<Value>, String> {
    body.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("s3://{bucket}/{key} line {}: not JSON: {e}", i + 1))
        })
        .collect()
}

/// CSV rows as objects keyed by the header (the first row, or `CSVHeaders`), every value
/// a string, as AWS reads them.
fn csv_items(body: &str, config: &Value) -> Result<Vec<Value>, String> {
    let delimiter = match config.get("CSVDelimiter").and_then(Value::as_str) {
        None | Some("COMMA") => ',',
        Some("PIPE") => '|',
        Some("SEMICOLON") => ';',
        Some("SPACE") => ' ',
        Some("TAB") => '\t',
        Some(other) => return Err(format!("CSVDelimiter {other} is not one AWS knows")),
    };
    let mut rows = csv_rows(body, delimiter)?.into_iter();
    let header: Vec<String> = match config.get("CSVHeaderLocation").and_then(Value::as_str) {
        Some("GIVEN") => config
            .get("CSVHeaders")
            .and_then(Value::as_array)
            .ok_or("CSVHeaderLocation GIVEN needs CSVHeaders")?
            .iter()
            .map(|h| h.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => rows.next().unwrap_or_default(),
    };
    Ok(rows
        .filter(|r| !(r.len() == 1 && r[0].is_empty()))
        .map(|r| {
            let m: Map = header
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    (
                        h.clone(),
                        Value::from(r.get(i).cloned().unwrap_or_default()),
                    )
                })
                .collect();
            Value::Object(m)
        })
        .collect())
}

/// RFC 4180 rows: quoted fields may hold the delimiter, quotes (doubled) and line breaks.
fn csv_rows(body: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (c, false) if c == delimiter => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if quoted {
        return Err("the CSV ends inside a quoted field".into());
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// ListObjectsV2's `Contents`: every file under the prefix, in key order.
fn list_objects(dir: &Path, prefix: &str) -> Result<Vec<Value>, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files, 0);
    files.sort();
    Ok(files
        .into_iter()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, size)| {
            json!({
                "Etag": format!("\"{}\"", hex::encode(<::md5::Md5 as ::md5::Digest>::digest(key.as_bytes()))),
                "Key": key,
                "LastModified": "2024-01-01T00:00:00Z",
                "Size": size,
                "StorageClass": "STANDARD",
            })
        })
        .collect())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>, depth: usize) {
    if depth > 16 || out.len() > 100_000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            collect(root, &p, out, depth + 1);
        } else if meta.is_file()
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push((rel.to_string_lossy().replace('\\', "/"), meta.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(resource: &str, input: Value) -> TaskRequest {
        TaskRequest::new(
            1,
            "Process",
            "/States/Process/ItemReader",
            resource,
            input,
            0,
        )
    }

    #[test]
    fn csv_json_jsonl_and_listings_from_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        std::fs::write(
            dir.path().join("in/orders.csv"),
            "id,name,note\n1,mug,\"big, blue\"\n2,shirt,\"say \"\"hi\"\"\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("in/a.jsonl"), "{\"n\":1}\n\n{\"n\":2}\n").unwrap();
        std::fs::write(dir.path().join("in/a.json"), "[1, 2, 3]").unwrap();
        let buckets = Buckets::from([("b".to_string(), dir.path().to_path_buf())]);
        let get = "arn:aws:states:::s3:getObject";
        let read = |input: Value| match super::read(&req(get, input), &buckets) {
            TaskOutcome::Success(Value::Array(items)) => items,
            other => panic!("{other:?}"),
        };
        let csv = read(
            json!({"Parameters": {"Bucket": "b", "Key": "in/orders.csv"},
                              "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}}),
        );
        assert_eq!(
            csv,
            vec![
                json!({"id": "1", "name": "mug", "note": "big, blue"}),
                json!({"id": "2", "name": "shirt", "note": "say \"hi\""}),
            ]
        );
        let given = read(
            json!({"Parameters": {"Bucket": "b", "Key": "in/orders.csv"},
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "b", "c"], "MaxItems": 2}}),
        );
        assert_eq!(given[0], json!({"a": "id", "b": "name", "c": "note"}));
        assert_eq!(given.len(), 2);
        assert_eq!(
            read(
                json!({"Parameters": {"Bucket": "b", "Key": "in/a.jsonl"}, "ReaderConfig": {"InputType": "JSONL"}})
            ),
            vec![json!({"n": 1}), json!({"n": 2})]
        );
        assert_eq!(
            read(json!({"Parameters": {"Bucket": "b", "Key": "in/a.json"}})).len(),
            3
        );
        let listed = match super::read(
            &req(
                "arn:aws:states:::s3:listObjectsV2",
                json!({"Parameters": {"Bucket": "b", "Prefix": "in/a"}}),
            ),
            &buckets,
        ) {
            TaskOutcome::Success(Value::Array(items)) => items,
            other => panic!("{other:?}"),
        };
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0]["Key"], "in/a.json");
        // Unknown buckets and escaping keys fail as the reader fails.
        for input in [
            json!({"Parameters": {"Bucket": "other", "Key": "x"}}),
            json!({"Parameters": {"Bucket": "b", "Key": "../secret"}}),
        ] {
            let TaskOutcome::Failure(f) = super::read(&req(get, input), &buckets) else {
                panic!()
            };
            assert_eq!(f.error.as_deref(), Some("States.ItemReaderFailed"));
        }
    }
}
