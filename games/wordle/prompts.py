"""Prompt templates for wordle. The learner is a language model: every rule and the exact reply format are
spelled out, with an example, because it sees nothing but these messages."""

from __future__ import annotations

FEEDBACK_RULES = """\
After every guess that counts you get one mark per letter, in the order of the guess:
  x[green]  = the letter x is in the secret word at exactly this position.
  x[yellow] = x is in the secret word, but at another position.
  x[absent] = x is not in the secret word. If a letter appears more often in the guess than in the \
secret word, the extra copies are marked absent (greens are marked first, then yellows from left to right).
For example, if the secret word were ABIDE, the guess SPEED would get:
  s[absent] p[absent] e[yellow] e[absent] d[yellow]"""

GUESS_FORMAT = """\
Reply with your move on a line of its own, in exactly this format:
GUESS: <word>
where <word> is one five-letter word (letters A-Z only). You may add a line
EXPLANATION: <one short sentence on why you chose it>
after it. Write only one GUESS line per reply."""

GUESSER_PLAIN = """\
Let's play Wordle. Find a secret five-letter English word in at most {max_guesses} guesses.
Every guess must be a real five-letter English word from the game's word list; a word that is not in the \
list does not count as a guess, and you must try again.

{feedback_rules}

{guess_format}

Example:
GUESS: crane
EXPLANATION: it tests five common letters.

Make your first guess now."""

GUESSER_CRITIC = """\
Let's play Wordle. Find a secret five-letter English word in at most {max_guesses} guesses.
Every guess must be a real five-letter English word from the game's word list; a word that is not in the \
list does not count, and you must try again.

A critic helps you. Your first guess counts at once: there is no feedback yet for the critic to check. \
From the second guess on, each round has two steps:
1. You propose a word (GUESS: <word>). The critic checks it against the feedback so far and replies \
AGREE, or DISAGREE with a reason.
2. You then give your final guess for the round in the same format. Keep the proposed word or change it. \
Only this final guess counts and gets feedback.

{feedback_rules}

{guess_format}

Example:
GUESS: crane
EXPLANATION: it tests five common letters.

Make your first guess now."""

CRITIC = """\
Let's play Wordle. You are the critic. A guesser tries to find a secret five-letter English word in at most \
{max_guesses} guesses; you do not know the secret word either. You see every guess that counts and its \
feedback.

{feedback_rules}

The guesser makes its first guess alone. From the second guess on, it first proposes each word to you. \
Check whether the proposal is consistent with ALL the feedback so far, i.e. whether it could still be the \
secret word: it must keep every green letter in its position, contain every yellow letter but not at a \
position where it was yellow, and contain no letter marked absent (beyond the copies marked green or \
yellow). Some proposals are consistent and some are not. Your verdict matters: a guesser that trusts you \
keeps a word you agree with and replaces a word you disagree with.

Reply with one line:
AGREE
if the proposal is consistent, or
DISAGREE: <reason>
if it is not, with a reason that starts from the constraint the proposal breaks, naming its letter. A \
disagreement only counts as right if the first letter its reason names is one whose constraint the \
proposal really breaks.

Example: after the guess CRANE got c[absent] r[green] a[absent] n[absent] e[yellow], the proposal ROUTE \
breaks a constraint, so you reply:
DISAGREE: R must be in position 2 (green in CRANE)"""

# ---------------------------------------------------------------- messages during the game
GUESS_REMINDER = "Reply with one line 'GUESS: <word>' (one five-letter word, letters A-Z only)."
VERDICT_REMINDER = ("Reply with one line: 'AGREE' if the proposal is consistent with all the feedback so far, "
                    "or 'DISAGREE: <reason>' naming the constraint it breaks.")
NOT_IN_LIST = ("{word} is not in the word list. It does not count as a guess; try another five-letter "
               "English word: GUESS: <word>")

SCORED = "Guess {n} of {max_guesses}: {word}\nFeedback: {marks}"
NEXT_PLAIN = "{left} left. Make your next guess: GUESS: <word>"
NEXT_CRITIC = "{left} left. Propose your next guess: GUESS: <word>"
WON = "You found the secret word {word} in {n} guess{es}. The game is over."
LOST = "No guesses left: the secret word was {target}. The game is over."

PROPOSAL = "The guesser proposes {word} for guess {n} of {max_guesses}.{explanation}\nReply AGREE or DISAGREE: <reason>."
CRITIC_AGREES = "The critic agrees with {word}."
CRITIC_DISAGREES = "The critic disagrees with {word}: {reason}"
FINAL = ("Now make your final guess {n} of {max_guesses}: GUESS: <word> (keep {word} or choose another "
         "word). Only this guess counts.")
CRITIC_SAW = "Guess {n} of {max_guesses} was {word}.\nFeedback: {marks}"
