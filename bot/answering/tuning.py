"""The tuning numbers of the answer engine: how deep to search, how evidence is scored, when to abstain."""

# -- how much evidence ------------------------------------------------------------------------------
MAX_BULLETS = 3  # few, strong bullets: the lead carries the answer
ANSWER_WORDS = 85  # the lead and the bullets after the first stop here (a Chinese character counts as half a word)
BULLET_WORDS = 32  # a longer quote is cut to its clauses that hold what was asked (verbatim, "…" where cut)
MAX_LIST_BULLETS = 8  # aggregation, timeline and the overview commands list more
MAX_QUOTE_SENTENCES = 3  # a bullet quotes at most this many consecutive sentences
SEARCH_DEPTH = 40  # hits taken from the index for the question (and for each part of a compound one)
LEDGER_DEPTH = 40  # ledger passages on the asked party and issue added beyond the search's hits
NAME_CHECK_DEPTH = 10  # a name of the question must be stated by one of this many best candidates

# -- scoring a candidate ----------------------------------------------------------------------------
TITLE_WEIGHT = 0.5  # an article whose headline matches the question lends its sentences this much (times the share)
SPEAKER_BONUS = 0.4  # for "what did X say", a sentence where X speaks
ACTS_BONUS = 0.6  # the asked party is the subject of the asked stance in the sentence
SUBJECT_BONUS = 0.3  # the sentence's first named party is the one the question asks about
FOLLOWER_DISCOUNT = 0.2  # a quote continuing a strong candidate's speaker scores this much less per sentence away
REACTION_Z = 0.5  # a reaction must be closer in meaning to the question than the corpus's average sentence
DENSE_RESCUE_Z = 3.8  # a passage this many deviations above the corpus's cosine is on topic even without shared words
INFORMATIVE_IDF = 3.0  # an entity this rare in the corpus (or rarer) fully answers "where"/"who"

# -- how much of the question a passage covers (a term group's credit) ------------------------------
UNSEEN_WEIGHT = 0.75  # a question word absent from the corpus weighs this share of an average known term
PARTY_CREDIT = 0.6  # a passage naming the party of an asked actor ("the Kremlin" for "Putin") partly matches it
CONTEXT_CREDIT = 0.8  # a term found only in the sentence a passage refers back to ("these areas") counts this much
PLACE_CREDIT = 0.8  # an asked issue met through one of its places ("territory" in a sentence about Kursk) counts this much
DOCUMENT_CREDIT = 0.4  # a term only the passage's headline or another of its sentences names counts this much

# -- choosing bullets -------------------------------------------------------------------------------
RELATIVE_FLOOR = 0.85  # a further bullet must score at least this share of the best one
JUDGE_FLOOR = 0.7  # ... or, when the answer judge ranks the pool, a probability at least this share of the best one
COVERAGE_FLOOR = 0.6  # ... and contain at least this share of what the best one matches of the question
FIGURE_COVERAGE = 0.75  # another source's figure is shown when its sentence matches the question this well (vs the best)
CONTRAST_COVERAGE = 0.25  # a sentence setting the two compared parties against each other needs little else
FACET_FOCUS = 0.5  # a bullet of a "where/who/when/how much" answer must fit the facet at least this well
PREMISE_COVERAGE = 0.25  # passages on the issue that may show who really demands or accepts it

# -- the same fact from several outlets -------------------------------------------------------------
SAME_FACT_COSINE = 0.935  # two passages this close (and sharing some words) say the same thing (merged into one bullet)
SAME_FACT_JACCARD = 0.55  # ... as do two passages sharing this share of their words, whatever their vectors
SAME_STANCE_COSINE = 0.88  # ... or this close when the ledger records the same stance in both

# -- when to answer at all --------------------------------------------------------------------------
MIN_COVERAGE = 0.5  # share of the question's weighted terms the best passage must contain
MIN_COVERAGE_WITH_LEDGER = 0.34  # ... or this much when the ledger records the asked party on the asked issue
ON_THING_COVERAGE = 0.5  # a stance decides a yes/no question only in a sentence holding this share of what it asks about
CROSS_LANGUAGE_Z = 2.5  # a sentence in another language this close in meaning (deviations above the corpus) answers...
MIN_CROSS_COVERAGE = 0.15  # ... when it also matches this share of the question's terms (names, glosses)
