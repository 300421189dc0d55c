"""RL-guided adversarial rounds (issue 13): attackers trained to fool the guard, and a guard
retrained on what they find.

* :mod:`.rewards`  rewards for the two goals and the label-preservation signals
* :mod:`.bandit`   the cheap attacker: UCB1 over compositions of the rule operators
* :mod:`.policy`   the LLM attacker: SmolLM2-135M-Instruct + LoRA, REINFORCE with a KL penalty
* :mod:`.harvest`  novelty, per-seed caps, candidates for the curation rounds
* :mod:`.rounds`   the rounds (``guard-cli adversarial``), resumable per stage
* :mod:`.report`   curves, signal disagreement, harvested examples
* :mod:`.regression` attacks the final guard catches, frozen for later models

Importing this package imports neither torch nor transformers.
"""
