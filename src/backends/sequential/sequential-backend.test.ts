import { describePoolContract } from '../../pool/testing/pool-contract.js';

describePoolContract('sequential');
