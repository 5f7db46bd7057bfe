"""The hand-made negotiation pool the negotiation tests share."""

# A hand-made pool: 1 book, 2 hats, 2 balls, 1 pen. Alice values books=4 hats=6 balls=2 pens=5, Bob books=3
# hats=7 balls=1 pens=6. The joint optimum (28) gives Alice the book and the balls, Bob the hats and the pen; the
# worst split is worth 22.
COUNTS = [1, 2, 2, 1]
ALICE = [4, 6, 2, 5]
BOB = [3, 7, 1, 6]
