# Runs one libFuzzer target for SECONDS on a scratch copy of its corpus (ctest, label fuzz):
#   cmake -DFUZZER=<binary> -DCORPUS=<fuzz/corpus/what> -DWORK=<scratch dir> -DSECONDS=10 -P run_fuzzer.cmake
# New inputs go to WORK/corpus, a crash, leak or timeout input to WORK/artifacts/; both stay
# until the next run, for a look. The exit code is libFuzzer's: non-zero on any finding.
foreach(var FUZZER CORPUS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
if(IS_DIRECTORY ${CORPUS})
  file(COPY ${CORPUS}/ DESTINATION ${WORK}/corpus)
endif()

execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -max_len=65536 -timeout=10 -print_final_stats=1
          -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB findings ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} exited with ${rc}; inputs: ${findings}")
endif()
