import { describePoolContract } from '../../pool/pool-contract.js';

describePoolContract('sequential');
