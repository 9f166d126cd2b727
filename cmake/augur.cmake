# augur_stage(NAME DEPS ...): one static library per src/ folder, built from every .cpp in it.
#
# Files are picked up by naming convention so that adding a reader or detector needs no CMake edit:
#   foo.cpp                 library source
#   foo_test.cpp            unit test (label "unit"), all of a folder's in one executable
#   foo_<label>_test.cpp    test with a CTest label: dataset, server, slow, browser (own executable)
#   foo_fuzz.cpp            libFuzzer target (label "fuzz"), built only with -DAUGUR_FUZZ=ON (clang)
set(AUGUR_TEST_LABELS dataset server slow browser)
set(AUGUR_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz target runs under ctest -L fuzz")

function(augur_stage name)
  cmake_parse_arguments(A "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  list(FILTER srcs EXCLUDE REGEX "(_test|_fuzz)\\.cpp$")
  set(target augur_${name})
  if(srcs)
    add_library(${target} STATIC ${srcs})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src)
  endif()
  if(srcs)
    target_link_libraries(${target} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
  else()
    target_link_libraries(${target} INTERFACE ${A_DEPS})
  endif()

  if(AUGUR_BUILD_TESTS AND NOT AUGUR_FUZZ)
    file(GLOB unit CONFIGURE_DEPENDS ${dir}/*_test.cpp)
    foreach(label IN LISTS AUGUR_TEST_LABELS)
      list(FILTER unit EXCLUDE REGEX "_${label}_test\\.cpp$")
    endforeach()
    if(unit)
      add_executable(${target}_test ${unit})
      target_link_libraries(${target}_test PRIVATE ${target} ${A_TEST_DEPS} augur_testing GTest::gtest_main)
      gtest_discover_tests(${target}_test PROPERTIES LABELS unit
        ENVIRONMENT "AUGUR_SHARED=${PROJECT_SOURCE_DIR}/../shared;OMP_NUM_THREADS=1"
        DISCOVERY_TIMEOUT 60)
    endif()
    foreach(label IN LISTS AUGUR_TEST_LABELS)
      file(GLOB labelled CONFIGURE_DEPENDS ${dir}/*_${label}_test.cpp)
      foreach(t IN LISTS labelled)
        get_filename_component(base ${t} NAME_WE)
        add_executable(${name}_${base} ${t})
        target_link_libraries(${name}_${base} PRIVATE ${target} ${A_TEST_DEPS} augur_testing GTest::gtest_main)
        gtest_discover_tests(${name}_${base} PROPERTIES LABELS ${label}
          ENVIRONMENT "AUGUR_SHARED=${PROJECT_SOURCE_DIR}/../shared;OMP_NUM_THREADS=1"
          DISCOVERY_TIMEOUT 60)
      endforeach()
    endforeach()
  endif()

  if(AUGUR_FUZZ)
    file(GLOB fuzzers CONFIGURE_DEPENDS ${dir}/*_fuzz.cpp)
    foreach(f IN LISTS fuzzers)
      get_filename_component(base ${f} NAME_WE)
      add_executable(${base} ${f})
      target_compile_options(${base} PRIVATE -fsanitize=fuzzer)
      target_link_options(${base} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(${base} PRIVATE ${target})
      add_test(NAME fuzz.${base}
        COMMAND ${base} -max_total_time=${AUGUR_FUZZ_SECONDS} -rss_limit_mb=4096 -max_len=65536
                ${CMAKE_CURRENT_BINARY_DIR}/${base}_corpus)
      set_tests_properties(fuzz.${base} PROPERTIES LABELS fuzz)
      file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${base}_corpus)
    endforeach()
  endif()
endfunction()
