/** The review scenario the extension's review tests share: the liver guideline with a peer stage and three reasons. */
import { GUIDELINE_TEXT } from './extension-scenario.js';
import { loadGuideline } from '../shared/guideline/load.js';

/** The liver guideline with a peer review stage (anyone but the author) and three reasons. */
export const REVIEW_GUIDELINE_TEXT = GUIDELINE_TEXT.replace(
  '  audit_rate: 0.1\n',
  `  audit_rate: 0.1
  stages:
    - id: peer
      title: Peer review
      reviewers: others
  reasons:
    - id: boundary_loose
      title: Boundary includes adjacent structures
      help: Trim the liver at the capsule; the IVC and the right kidney are not liver.
    - id: missed_lesion
      title: A lesion is not segmented
      help: Scroll through the whole liver and add every lesion of 3 mm or more.
    - id: wrong_label
      title: Wrong label
`,
);
if (REVIEW_GUIDELINE_TEXT === GUIDELINE_TEXT) throw new Error('the liver guideline no longer has "  audit_rate: 0.1": update the review scenario');

export const REVIEW_GUIDELINE = loadGuideline(REVIEW_GUIDELINE_TEXT, 'guideline.yaml');

/** The annotator and the reviewer, as the editor's `user` and `users` give them. */
export const ANN = { id: 1, email: 'ann@example.org', firstName: 'Ann', lastName: 'Otator' };
export const REV = { id: 2, email: 'rev@example.org', firstName: 'Rae', lastName: 'Viewer' };
