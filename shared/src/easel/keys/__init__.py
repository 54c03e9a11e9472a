"""API keys: who may call the HTTP API. A key is shown once, when it is made; only its
hash is kept (KV `easel_api_keys`), or it comes from `API_KEYS` (a Kubernetes Secret)."""

from easel.keys._keys import ApiKey, ApiKeys, Created, hash_key, new_key, static_keys

__all__ = ["ApiKey", "ApiKeys", "Created", "hash_key", "new_key", "static_keys"]
