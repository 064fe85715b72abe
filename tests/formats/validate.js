// memboss: validates the command's JSON output against docs/findings.schema.json (JSON
// Schema draft-07) and its SARIF output against the official SARIF 2.1.0 schema
// (draft-04), with ajv. Each check prints `PASS name` or `FAIL name: why`; the exit
// status is the number of failures.
//
//   node validate.js FINDINGS_SCHEMA FINDINGS_JSON SARIF_SCHEMA FINDINGS_SARIF
//
// Each validator is also shown a broken copy of its document, which it must refuse: a
// check that cannot fail proves nothing.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const AjvDraft04 = require('ajv-draft-04');
const addFormats = require('ajv-formats');

const [schemaPath, jsonPath, sarifSchemaPath, sarifPath] = process.argv.slice(2);
let failed = 0;

function check(name, ok, why) {
  if (ok) {
    console.log(`PASS ${name}`);
  } else {
    console.log(`FAIL ${name}: ${why}`);
    failed++;
  }
}

function load(path) {
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

function errors(validate) {
  return JSON.stringify(validate.errors, null, 1).slice(0, 2000);
}

const findingsAjv = new Ajv({ allErrors: true, strict: true });
addFormats(findingsAjv);
const validateFindings = findingsAjv.compile(load(schemaPath));
const doc = load(jsonPath);
check('formats json schema', validateFindings(doc), errors(validateFindings));
check('formats json has findings', doc.findings.length > 0, 'no findings');
const broken = JSON.parse(JSON.stringify(doc));
broken.findings[0].access = { address: 4096, thread: 1, how: 'write' };
check('formats json schema refuses a numeric address', !validateFindings(broken), 'accepted');

// The official schema uses formats (uri, date-time) and keywords ajv's strict mode
// does not know: strict off, formats checked. Its language pattern has a stray ']' that
// a Unicode regular expression refuses: plain regular expressions, as the schema's
// authors meant.
const sarifAjv = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(sarifAjv);
const validateSarif = sarifAjv.compile(load(sarifSchemaPath));
const sarif = load(sarifPath);
check('formats sarif schema', validateSarif(sarif), errors(validateSarif));
const badSarif = JSON.parse(JSON.stringify(sarif));
badSarif.runs[0].results[0].level = 'fatal';
check('formats sarif schema refuses a bad level', !validateSarif(badSarif), 'accepted');

// What GitHub code scanning needs beyond the schema: a driver name, rules whose ids
// match the results', a message text and a location for each result.
const run = sarif.runs[0];
const ids = new Set(run.tool.driver.rules.map((r) => r.id));
const bad = run.results.filter(
  (r) =>
    !ids.has(r.ruleId) ||
    run.tool.driver.rules[r.ruleIndex].id !== r.ruleId ||
    !r.message.text ||
    !r.partialFingerprints ||
    !(r.locations || []).length
);
check('formats sarif results name their rules', bad.length === 0, JSON.stringify(bad).slice(0, 500));
check(
  'formats sarif rules have help',
  run.tool.driver.rules.every((r) => r.shortDescription.text && /^memboss documentation: docs\/[a-z-]+\.md$/.test(r.help.text)),
  'a rule without shortDescription or help'
);
process.exit(failed);
