"""Token-budgeted TRL baseline recipes (SFT, DPO, GRPO, LoRA).

Not built yet: the import name ``playschool.baselines`` is reserved here so that it stays stable.
"""
