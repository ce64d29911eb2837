"""Word classes used by the negation rules (English function words, written for assay)."""

from __future__ import annotations

BE = {"is", "are", "was", "were", "am"}
MODALS = {"can", "could", "will", "would", "shall", "should", "may", "might", "must"}
HAVE = {"has", "have", "had"}
DO = {"do", "does", "did"}
AUX = BE | MODALS | HAVE | DO
PLURAL_PRONOUNS = {"i", "you", "we", "they"}
THIRD_PRONOUNS = {"he", "she", "it", "this", "that", "everyone", "everything", "everybody", "someone",
                  "something", "somebody", "one"}
PRONOUNS = PLURAL_PRONOUNS | THIRD_PRONOUNS | {"there", "here"}
# "it's" is a contraction; "everyone's" is read as a possessive
CONTRACTION_HEADS = {"i", "you", "we", "they", "he", "she", "it", "that", "this", "there", "here", "what", "who",
                      "where", "how"}
NEGATORS = {"not", "never", "no", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot", "noone"}
NT_BARE = {"dont", "didnt", "doesnt", "isnt", "wasnt", "arent", "werent", "cant", "couldnt", "shouldnt",
            "wouldnt", "wont", "havent", "hasnt", "hadnt", "aint", "mustnt"}
ADVERBS = {"really", "actually", "truly", "totally", "absolutely", "completely", "entirely", "fully",
           "definitely", "honestly", "just", "simply", "literally", "certainly", "genuinely", "already",
           "ever", "even"}
DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that", "these",
               "those", "every", "each", "some", "any", "all", "both", "another", "no", "what", "which"}
PREPOSITIONS = {"to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "over",
                "under", "after", "before", "during", "through", "than", "as", "via", "per", "very", "so",
                "too", "more", "most", "less", "quite", "and", "or", "but"}
SUBORDINATORS = {"when", "if", "because", "although", "though", "while", "since", "after", "before", "as",
                 "unless", "until", "once", "whenever", "whereas", "whether", "even"}
INTRO = {"honestly", "well", "so", "ok", "okay", "yes", "yeah", "oh", "wow", "sadly", "unfortunately",
         "luckily", "thankfully", "fortunately", "however", "anyway", "btw", "seriously", "overall", "today",
         "yesterday", "tonight", "finally", "again", "first", "then", "now", "and", "but", "plus", "lol",
         "omg", "hey", "hi", "hello", "ugh", "also", "still", "sure"}
WH = {"what", "why", "how", "where", "when", "who", "which", "whose", "whom"}
RELATIVE = {"who", "which", "whom", "whose", "that", "where"}
CLAUSE_BREAK = {",", ";", ":", "but", "because", "although", "though", "while", "so", "or", "since", "unless",
                 "until", "and", "-", "—"}
NPI = {"any", "anymore", "yet", "either", "ever", "even", "anything", "anyone", "anybody", "anywhere"}
# After these, has / have / had is the main verb: "I have a question", "We had to wait".
OBJECT_STARTS = (DETERMINERS - {"no"}) | {"to", "two", "three", "many", "much", "lots", "enough", "several", "it",
                                           "them", "him", "her", "us", "me", "you", "plenty", "one", "more"}
TIME_ADVERBS = {"now", "finally", "still", "always", "also", "recently", "officially", "since", "once"}
SUBJECT_PRONOUNS = {"i", "we", "you", "they", "he", "she", "it"}
SINGULAR_DETERMINERS = {"the", "a", "an", "my", "our", "your", "their", "his", "her", "its", "this", "that",
                         "every", "each"}
SENTENCE_ADVERBS = {"probably", "definitely", "certainly", "surely", "clearly", "obviously", "also", "still",
                     "apparently", "seriously", "literally", "honestly", "actually", "usually"}
NON_FINITE = {"being", "been", "be", "having", "get", "got", "gets", "getting"}
NO_CLAUSE = {"thanks", "thank", "thx", "please", "congrats", "congratulations", "cheers", "sorry"}
PLURAL_NOUNS = {"people", "children", "men", "women", "folks", "kids", "staff", "crew", "police"}

NT_TO_AUX = {
    "isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were", "haven't": "have", "hasn't": "has",
    "hadn't": "had", "won't": "will", "wouldn't": "would", "can't": "can", "couldn't": "could",
    "shouldn't": "should", "mustn't": "must", "mightn't": "might", "shan't": "shall", "cannot": "can",
    "isnt": "is", "arent": "are", "wasnt": "was", "werent": "were", "havent": "have", "hasnt": "has",
    "hadnt": "had", "wont": "will", "wouldnt": "would", "cant": "can", "couldnt": "could", "shouldnt": "should",
    "mustnt": "must",
}
NT_TO_DO = {"don't": "do", "doesn't": "does", "didn't": "did", "dont": "do", "doesnt": "does", "didnt": "did"}
