"""simdml_run: the Python half of `simdml run` and `simdml history`.

The installed simdml program starts these modules with `python3 -m simdml_run.<module>` (the
package under share/simdml/python; from a build tree, the source tree's python/ folder):

  report            the report of a results folder: results.json, report.md, plots
  accuracy_gate     the accuracy runs against tests/baselines/accuracy.json, exactly
  icount_gate       instruction counts under callgrind against their baseline
  bench_table       the benchmark tables of the report
  bench_compare     two benchmark runs, compared with a rank test
  results_page      a results folder as a machine's page in docs/results/
  torch_train_bench PyTorch on the training configurations, the training peer
  history           `simdml history`: the regression history (history_db, changepoint,
                    history_report)
  output_file       how every output is written: whole or not at all, nothing replaced

Dependencies: numpy and scipy (the change-point statistics, the rank test); matplotlib for the
report's plots, and torch for the training peer, each optional: without them the report has no
plots, and the peer stage says why.
"""
