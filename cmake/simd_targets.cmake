# The one place that maps dispatch targets to compiler flags. Only the per-target translation units
# (target_<isa>.cpp) get these flags; everything else is built for baseline x86-64, so no wide
# instruction can run before dispatch has checked the CPU.
set(SIMDML_FLAGS_sse2 "-march=x86-64")
set(SIMDML_FLAGS_avx2 "-march=x86-64-v3")
# GCC 12 warns about its own _mm512_undefined_* helpers; the warning is about the header, not us.
set(SIMDML_FLAGS_avx512 "-march=x86-64-v4;$<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>")
set(SIMDML_ISAS sse2 avx2 avx512)
# Extensions on top of a target, for single kernels (Extension in include/simdml/dispatch.hpp).
set(SIMDML_FLAGS_avx512vnni "${SIMDML_FLAGS_avx512};-mavx512vnni")
set(SIMDML_FLAGS_amx "${SIMDML_FLAGS_avx512};-mamx-tile;-mamx-int8")

# simdml_add_target_sources(<target> <dir> [<prefix>]): adds <dir>/<prefix><isa>.cpp (the prefix
# target_ unless given) for every ISA, each compiled with that ISA's flags.
function(simdml_add_target_sources target dir)
  set(prefix target_)
  if(ARGC GREATER 2)
    set(prefix ${ARGV2})
  endif()
  foreach(isa IN LISTS SIMDML_ISAS)
    set(source ${dir}/${prefix}${isa}.cpp)
    target_sources(${target} PRIVATE ${source})
    set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "${SIMDML_FLAGS_${isa}}")
  endforeach()
endfunction()
