"""The FHIR R4 scheduling interface (SPEC §13): ``/fhir/r4``, beside ``/v1``."""
