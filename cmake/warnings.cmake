# Warnings apply to our own targets only; HYPERION_WERROR (on in CI) makes them errors.
function(hyperion_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
    $<$<BOOL:${HYPERION_WERROR}>:-Werror>)
endfunction()
