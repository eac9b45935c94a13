# Compiler settings shared by every squall target: strict warnings, optional
# sanitizers. Applied through squall_target_defaults() so third-party code
# (simdjson, toml++) is never compiled with our -Werror.

function(squall_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(SQUALL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(SQUALL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# ThreadSanitizer cannot share a process with AddressSanitizer, so it has a
# build of its own (the tsan preset), which runs the tests of the code that
# uses threads (label `concurrency`).
if(SQUALL_SANITIZE_THREAD)
  if(SQUALL_SANITIZE)
    message(FATAL_ERROR "SQUALL_SANITIZE_THREAD and SQUALL_SANITIZE exclude each other: use the tsan and asan presets")
  endif()
  # -Wno-tsan: Boost.Asio ends each handler with std::atomic_thread_fence,
  # which TSan does not model (GCC warns). Asio hands handlers between
  # threads under its scheduler's mutex, which TSan does see.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()

# libFuzzer comes with clang only. Every squall library gets the fuzzer's
# coverage instrumentation (without its main()) and both sanitizers, so a
# fuzz target finds memory errors and undefined behaviour anywhere it calls.
if(SQUALL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SQUALL_FUZZ needs clang for libFuzzer (found ${CMAKE_CXX_COMPILER_ID}): "
                        "use `cmake --preset fuzz`")
  endif()
  if(SQUALL_SANITIZE_THREAD)
    message(FATAL_ERROR "SQUALL_FUZZ brings AddressSanitizer, which excludes SQUALL_SANITIZE_THREAD")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # libstdc++'s bounds checks catch what ASan cannot see: an index past a
  # string_view's end that is still inside its buffer (simdjson's padding).
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
endif()

# Declares a stage library: squall_library(NAME SOURCES... DEPS ...)
function(squall_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  squall_target_defaults(${name})
endfunction()
