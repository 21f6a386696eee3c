"""The commands: each public function is one unit of work."""
