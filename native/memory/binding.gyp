{
  "targets": [
    {
      "target_name": "burrow_memory",
      "sources": ["memory.c"]
    }
  ]
}
