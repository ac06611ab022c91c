{
  "targets": [
    {
      "target_name": "private_process",
      "sources": [
        "native/common/addon.c",
        "native/common/addon_handle.c",
        "native/common/addon_spawn.c",
        "native/common/addon_sync.c",
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
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='linux'", {
          "defines": ["PP_HAVE_LINUX=1"],
          "sources": [
            "native/linux/backend.c",
            "native/linux/child.c",
            "native/linux/clone.c",
            "native/linux/hidden.c",
            "native/linux/probe.c",
            "native/linux/spawn.c",
            "native/linux/stack.c",
            "native/linux/wait.c",
            "native/fallback/ident_linux.c"
          ]
        }],
        ["OS!='linux'", {
          "sources": ["native/fallback/ident_none.c"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "OTHER_CFLAGS": ["-std=gnu11", "-Wall", "-Wextra", "-Werror"]
          }
        }]
      ]
    },
    {
      "target_name": "private_process_shim",
      "type": "shared_library",
      "product_prefix": "",
      "product_extension": "so",
      "sources": [],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/shim/shim.c",
            "native/common/table.c",
            "native/common/host_wait.c",
            "native/common/status.c"
          ],
          "libraries": ["-ldl", "-pthread"]
        }]
      ]
    }
  ]
}
