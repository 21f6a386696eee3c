"""The BPMN engine: SpiffWorkflow runtime, sandbox, serializer and clock hook."""
