{
  # Warnings are errors in this repository's CI and tests (PRIVATE_PROCESS_WERROR=1, set by .ci/run),
  # never in a user's npm install, where a newer compiler's new warning must not fail the install.
  "variables": {
    "pp_werror%": "<!(node -p \"process.env.PRIVATE_PROCESS_WERROR === '1' ? '-Werror' : '-Wno-error'\")"
  },
  "targets": [
    {
      "target_name": "private_process",
      "sources": [
        "native/common/addon.c",
        "native/common/addon_util.c",
        "native/common/addon_handle.c",
        "native/common/addon_calls.c",
        "native/common/addon_spawn.c",
        "native/common/addon_privs.c",
        "native/common/addon_sync.c",
        "native/common/addon_read.c",
        "native/common/registry.c",
        "native/common/table.c",
        "native/common/host_wait.c",
        "native/common/orphans.c",
        "native/common/slots.c",
        "native/common/status.c",
        "native/fallback/backend.c",
        "native/fallback/spawn.c",
        "native/fallback/wait.c"
      ],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "<(pp_werror)", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='linux'", {
          "defines": ["PP_HAVE_LINUX=1"],
          "sources": [
            "native/common/fds.c",
            "native/linux/backend.c",
            "native/linux/child.c",
            "native/linux/clone.c",
            "native/linux/hidden.c",
            "native/linux/host_sys.c",
            "native/linux/intermediate.c",
            "native/linux/lock.c",
            "native/linux/pin.c",
            "native/linux/privs.c",
            "native/linux/probe.c",
            "native/linux/spawn.c",
            "native/linux/stack.c",
            "native/linux/wait.c",
            "native/fallback/ident_linux.c",
            "native/fallback/notify_sigchld.c"
          ]
        }],
        ["OS!='linux'", {
          "sources": ["native/fallback/ident_none.c"]
        }],
        ["OS=='freebsd'", {
          "defines": ["PP_HAVE_FREEBSD=1"],
          "sources": [
            "native/common/children_none.c",
            "native/common/fds.c",
            "native/fallback/notify_kqueue.c",
            "native/freebsd/backend.c",
            "native/freebsd/child.c",
            "native/freebsd/host_sys.c",
            "native/freebsd/privs.c",
            "native/freebsd/raw.c",
            "native/freebsd/spawn.c",
            "native/freebsd/wait.c"
          ]
        }],
        ["OS=='mac'", {
          "sources": [
            "native/common/children_none.c",
            "native/fallback/notify_kqueue.c",
            "native/macos/fds.c",
            "native/macos/host_sys.c"
          ],
          "xcode_settings": {
            "OTHER_CFLAGS": ["-std=gnu11", "-Wall", "-Wextra", "<(pp_werror)", "-fvisibility=hidden"]
          }
        }]
      ]
    },
    {
      "target_name": "private_process_shim",
      "type": "shared_library",
      "product_prefix": "",
      "sources": [],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "<(pp_werror)", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          "product_extension": "so",
          "sources": [
            "native/shim/shim.c",
            "native/common/table.c",
            "native/common/host_wait.c",
            "native/common/status.c",
            "native/linux/host_sys.c"
          ],
          "libraries": ["-ldl", "-pthread"]
        }],
        ["OS=='mac'", {
          "product_extension": "dylib",
          "sources": [
            "native/shim/shim.c",
            "native/shim/interpose_macos.c",
            "native/common/table.c",
            "native/common/host_wait.c",
            "native/common/status.c",
            "native/common/children_none.c",
            "native/macos/host_sys.c"
          ],
          "xcode_settings": {
            "OTHER_CFLAGS": ["-std=gnu11", "-Wall", "-Wextra", "<(pp_werror)", "-fvisibility=hidden"]
          }
        }]
      ]
    }
  ]
}
