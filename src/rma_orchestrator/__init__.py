"""rma-orchestrator: BPMN orchestration of after-sales returns, exchanges and repairs."""
