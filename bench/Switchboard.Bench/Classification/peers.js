// Runs the peer classifiers on the folds written by ClassificationHarness, for a side-by-side comparison.
// Usage: node peers.js <node_modules dir> <data.jsonl> <k> <nb|vader>
// data.jsonl: one {"text","label","fold"} object a line. Prints one JSON object a line per fold:
// {"fold":f,"predictions":[...labels of the fold's rows in file order...],"trainMs":t,"predictMs":p}
'use strict';
const fs = require('fs');
const path = require('path');

const [modulesDir, dataFile, kArg, mode] = process.argv.slice(2);
const k = Number(kArg);
const rows = fs.readFileSync(dataFile, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l));

if (mode === 'vader') {
  const vader = require(path.join(modulesDir, 'vader-sentiment'));
  for (let f = 0; f < k; f++) {
    const test = rows.filter(r => r.fold === f);
    const t0 = process.hrtime.bigint();
    // The thresholds recommended by VADER's authors for three-way labels.
    const predictions = test.map(r => {
      const c = vader.SentimentIntensityAnalyzer.polarity_scores(r.text).compound;
      return c >= 0.05 ? 'positive' : c <= -0.05 ? 'negative' : 'neutral';
    });
    const predictMs = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify({ fold: f, predictions, trainMs: 0, predictMs }));
  }
} else if (mode === 'nb') {
  const natural = require(path.join(modulesDir, 'natural'));
  for (let f = 0; f < k; f++) {
    const classifier = new natural.BayesClassifier();
    const t0 = process.hrtime.bigint();
    for (const r of rows) {
      if (r.fold !== f) classifier.addDocument(r.text, r.label);
    }
    classifier.train();
    const t1 = process.hrtime.bigint();
    const predictions = rows.filter(r => r.fold === f).map(r => classifier.classify(r.text));
    const t2 = process.hrtime.bigint();
    console.log(JSON.stringify({ fold: f, predictions, trainMs: Number(t1 - t0) / 1e6, predictMs: Number(t2 - t1) / 1e6 }));
  }
} else {
  console.error(`unknown mode '${mode}' (expected nb or vader)`);
  process.exit(2);
}
